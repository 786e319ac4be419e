"""Access to the repository's model generators (``datasets/generate.py``) from Python.

The generators live beside the package, not in it (they are scripts with a cache); this loads
them once under a fixed module name so the demo, benchmarks and tests share one copy.

>>> gen = generator()                                      # doctest: +SKIP
>>> path = gen.model_path("resnet18", image=64)            # generated on first use, then cached  # doctest: +SKIP
"""
from __future__ import annotations

import importlib.util
import pathlib
import sys

from .errors import WorkbenchError

MODULE = "workbench_datasets_generate"
GENERATE = pathlib.Path(__file__).resolve().parent.parent / "datasets" / "generate.py"


def generator():
    """The ``datasets/generate.py`` module (``MODELS``, ``model_path``, ``random_inputs``...)."""
    mod = sys.modules.get(MODULE)
    if mod is not None:
        return mod
    if not GENERATE.exists():
        raise WorkbenchError(f"the model generators are not here ({GENERATE}); they come with a clone of "
                             "the repository, not with an installed package")
    spec = importlib.util.spec_from_file_location(MODULE, GENERATE)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[MODULE] = mod
    spec.loader.exec_module(mod)
    return mod
