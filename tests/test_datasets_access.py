"""workbench.datasets.generator: one loaded copy of datasets/generate.py, or a clear error."""
import pathlib
import sys

import pytest

from workbench import datasets
from workbench.errors import WorkbenchError


def test_generator_is_loaded_once():
    gen = datasets.generator()
    assert gen is datasets.generator() and "resnet18" in gen.MODELS


def test_missing_generators_give_a_clear_error(monkeypatch):
    monkeypatch.delitem(sys.modules, datasets.MODULE, raising=False)
    monkeypatch.setattr(datasets, "GENERATE", pathlib.Path("/nonexistent/datasets/generate.py"))
    with pytest.raises(WorkbenchError, match="model generators are not here"):
        datasets.generator()
