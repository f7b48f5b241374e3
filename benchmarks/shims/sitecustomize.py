"""Benchmark shim for community.aws.eks_nodegroup against the local endpoint only.

community.aws.eks_nodegroup reads ``nodegroup["updateConfig"]`` unconditionally. EKS always
returns it; the local endpoint (moto) does not, and the module fails with KeyError 'updateConfig'
after it has already sent UpdateNodegroupVersion. On this PYTHONPATH, DescribeNodegroup
responses get EKS's default ``{"maxUnavailable": 1}`` when they lack it. Nothing is imported
until the process itself imports botocore.client, so processes that never do are untouched.
"""

import importlib.abc
import importlib.util
import sys


def _patch(client_module):
    original = client_module.BaseClient._make_api_call

    def _make_api_call(self, operation_name, api_params):
        result = original(self, operation_name, api_params)
        if operation_name == "DescribeNodegroup" and isinstance(result.get("nodegroup"), dict):
            result["nodegroup"].setdefault("updateConfig", {"maxUnavailable": 1})
        return result

    client_module.BaseClient._make_api_call = _make_api_call


class _AfterBotocoreClient(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "botocore.client":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            _patch(module)

        spec.loader.exec_module = exec_and_patch
        return spec


sys.meta_path.insert(0, _AfterBotocoreClient())
