# -*- coding: utf-8 -*-

# Copyright: Contributors to the fleetops.eks collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Records every result of a fleetops.eks module, for the end-to-end tests that compare results with RETURN."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: fleetops_module_results
type: aggregate
short_description: Write each fleetops.eks module result to a JSON-lines file
description:
  - For every task of a C(fleetops.eks) module that ends ok or failed, appends one JSON line to the file named by
    the environment variable E(FLEETOPS_E2E_MODULE_RESULTS) (nothing when it is not set) -
    C(module) (the fully qualified name), C(task), C(check_mode), C(diff), C(failed) and C(result) (what the module
    returned, without Ansible's internal C(_ansible_*) keys).
requirements:
  - enabled in ANSIBLE_CALLBACKS_ENABLED
"""

import json
import os

from ansible.plugins.callback import CallbackBase

PREFIX = "fleetops.eks."


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "fleetops_module_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.path = os.environ.get("FLEETOPS_E2E_MODULE_RESULTS")

    def _record(self, result, failed):
        task = result._task
        module = getattr(task, "resolved_action", None) or task.action
        if not self.path or not str(module).startswith(PREFIX):
            return
        values = dict((key, value) for key, value in result._result.items() if not str(key).startswith("_ansible"))
        line = {
            "module": str(module),
            "task": task.get_name(),
            "check_mode": bool(task.check_mode),
            "diff": bool(task.diff),
            "failed": failed,
            "result": values,
        }
        with open(self.path, "a") as handle:
            handle.write(json.dumps(line, default=str, sort_keys=True) + "\n")

    def v2_runner_on_ok(self, result):
        self._record(result, False)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, True)
