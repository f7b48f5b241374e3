"""Make ``ansible_collections.fleetops.eks`` importable when pytest runs from a checkout.

Under ``ansible-test`` (or with the collection installed) it already is, and this does nothing.
"""

import importlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".tmp", "collections")

try:
    importlib.import_module("ansible_collections.fleetops.eks")
except ImportError:
    link = os.path.join(COLLECTIONS, "ansible_collections", "fleetops", "eks")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    try:
        os.symlink(ROOT, link)
    except FileExistsError:
        pass
    sys.path.insert(0, COLLECTIONS)
    importlib.import_module("ansible_collections.fleetops.eks")
