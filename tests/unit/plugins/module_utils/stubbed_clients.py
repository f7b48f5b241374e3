# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The stubbed clients the API unit tests share (imported by them: a fixture module, not a conftest)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.fleetops.eks.plugins.module_utils import eks_nodegroup_api as api


@pytest.fixture
def stubbed():
    """``make(service)``: a client wrapped with the API layer's retry decorator, and a Stubber on it."""
    def make(service):
        client = boto3.client(service, region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
        return RetryingBotoClientWrapper(client, api.AWS_RETRY), Stubber(client)
    return make
