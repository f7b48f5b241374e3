#!/usr/bin/env python
"""The same calls as eks_nodegroup_version makes for a launch template version target, in plain boto3.

    bare_boto3.py ENDPOINT_URL CLUSTER NODEGROUP TEMPLATE_VERSION

DescribeNodegroup; when the node group's template version differs, DescribeLaunchTemplateVersions
(the version must exist) and UpdateNodegroupVersion with the whole target, as the module sends it.
No waiting, no retries beyond botocore's, no result formatting: the floor for the same calls.
"""

import json
import sys
import uuid

import boto3


def main(endpoint_url, cluster, name, version):
    session = boto3.session.Session(region_name="us-east-1")
    eks = session.client("eks", endpoint_url=endpoint_url)
    nodegroup = eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
    template = nodegroup["launchTemplate"]
    if template["version"] == version:
        print(json.dumps({"changed": False}))
        return
    ec2 = session.client("ec2", endpoint_url=endpoint_url)
    ec2.describe_launch_template_versions(LaunchTemplateId=template["id"], Versions=[version])
    token = str(uuid.uuid5(uuid.NAMESPACE_URL, "%s/%s/%s/%s" % (cluster, name, version, nodegroup["modifiedAt"])))
    update = eks.update_nodegroup_version(
        clusterName=cluster, nodegroupName=name, launchTemplate={"id": template["id"], "version": version},
        version=nodegroup["version"], releaseVersion=nodegroup["releaseVersion"], clientRequestToken=token,
    )["update"]
    print(json.dumps({"changed": True, "update": update["id"]}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
