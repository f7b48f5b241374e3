#!/usr/bin/python
"""The floor of any AWS module as Ansible runs it: bare_boto3.py's calls inside AnsibleAWSModule, nothing else.

Not part of the collection: process_cost.py runs it through ansible-playbook (ANSIBLE_LIBRARY points here) and
keeps its AnsiballZ payload, to tell what the packaging costs any amazon.aws-based module from what
eks_nodegroup_version adds to it. Options: cluster_name, name, version (the launch template version).
"""

import uuid

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(cluster_name=dict(type="str", required=True), name=dict(type="str", required=True), version=dict(type="str", required=True))
    )
    cluster, name, version = module.params["cluster_name"], module.params["name"], module.params["version"]
    eks = module.client("eks")
    nodegroup = eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
    template = nodegroup["launchTemplate"]
    if template["version"] == version:
        module.exit_json(changed=False)
    module.client("ec2").describe_launch_template_versions(LaunchTemplateId=template["id"], Versions=[version])
    token = str(uuid.uuid5(uuid.NAMESPACE_URL, "%s/%s/%s/%s" % (cluster, name, version, nodegroup["modifiedAt"])))
    update = eks.update_nodegroup_version(
        clusterName=cluster, nodegroupName=name, launchTemplate={"id": template["id"], "version": version},
        version=nodegroup["version"], releaseVersion=nodegroup["releaseVersion"], clientRequestToken=token,
    )["update"]
    module.exit_json(changed=True, update_id=update["id"])


if __name__ == "__main__":
    main()
