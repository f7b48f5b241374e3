# -*- coding: utf-8 -*-

# Copyright: Contributors to the fleetops.eks collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    # The request budget of a module run (fleetops.eks.rate_limit).
    DOCUMENTATION = r"""
options:
  rate_limit:
    description:
      - Requests per second that the whole task may send to AWS (EKS, SSM and EC2 calls together, retries and
        polls included), as a token bucket of one second's worth of requests; a request that finds it empty waits
        its turn, no later than the task's deadline.
      - EKS limits request rates per account and region, shared by every client of the account, and AWS does not
        publish those rates. The default leaves room for the account's other clients; tasks run side by side
        (forks, several job templates) each have their own budget, so their sum is what the account sees.
      - A throttling answer from AWS halves the rate for the next seconds, then it grows back to O(rate_limit).
      - V(0) for no budget. At most V(1000).
    type: float
    default: 10
    version_added: 2.1.0
"""
