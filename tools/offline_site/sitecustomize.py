"""Imported at start-up by every Python process of the offline build (nox puts this folder on
PYTHONPATH), Jupyter kernels included, so the executed gallery cannot reach the network."""

import os

if os.environ.get("GUIDE_OFFLINE") == "1":
    from tools.offline import block

    block()
