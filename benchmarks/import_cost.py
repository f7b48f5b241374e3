"""Import cost of the module: ``python -X importtime``, self time summed by package.

Every imported module's self time goes to one group, so the groups add up to the total.
Median of several runs (module files from their .pyc, as ``python -m`` runs them; the
AnsiballZ payload also compiles the ansible and amazon.aws module_utils it carries, which
the process-cost table includes).
"""

import sys

from _common import MODULE_IMPORT, Table, command, median, module_env

GROUPS = [
    ("fleetops.eks (this collection)", ("ansible_collections.fleetops",)),
    ("amazon.aws module_utils", ("ansible_collections.amazon",)),
    ("ansible.module_utils (AnsibleModule)", ("ansible",)),
    ("boto3 + s3transfer", ("boto3", "s3transfer")),
    ("botocore", ("botocore",)),
    ("urllib3, dateutil, jmespath", ("urllib3", "dateutil", "jmespath")),
]


def _group(name):
    for label, prefixes in GROUPS:
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return label
    return "standard library and other"


def importtime(statement):
    done = command([sys.executable, "-X", "importtime", "-c", statement], env=module_env(), timeout=60)
    groups, top = {}, []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative, name = [part.strip() for part in line[len("import time:"):].split("|")]
        groups[_group(name)] = groups.get(_group(name), 0) + int(self_us)
        top.append((int(cumulative), name))
    return groups, top


def run(ctx):
    samples = 3 if ctx.quick else 5
    runs = [importtime("import " + MODULE_IMPORT) for _sample in range(samples)]
    boto3_alone = median([sum(importtime("import boto3")[0].values()) for _sample in range(samples)]) / 1000.0
    labels = [label for label, _prefixes in GROUPS] + ["standard library and other"]
    totals = [sum(groups.values()) for groups, _top in runs]
    total = median(totals) / 1000.0
    table = Table("Import cost of eks_nodegroup_version (python -X importtime, median of %d)" % samples, ["Group", "Self time", "Share"])
    for label in labels:
        value = median([groups.get(label, 0) for groups, _top in runs]) / 1000.0
        table.add(label, "%.1f ms" % value, "%.0f %%" % (100.0 * value / total if total else 0))
    table.add("total", "%.1f ms" % total, "100 %")
    table.add("for comparison: `import boto3` alone (the bare script's import)", "%.1f ms" % boto3_alone, "")
    heavy = sorted(runs[0][1], reverse=True)
    wanted = ["boto3", "boto3.compat", "s3transfer.manager", "ansible.module_utils.basic", "ansible.module_utils.compat.selinux",
              "ansible_collections.amazon.aws.plugins.module_utils.modules", "botocore.session", "botocore.client"]
    found = dict((name, cumulative) for cumulative, name in heavy)
    table.notes = ["Largest subtrees (cumulative, first run): " + "; ".join(
        "%s %.0f ms" % (name, found[name] / 1000.0) for name in wanted if name in found) + "."]
    return [table], []
