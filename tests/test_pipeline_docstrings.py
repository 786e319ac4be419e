"""The docstring examples of the compiler's pipeline modules run (topi's: tests/topi/test_docstrings.py)."""
import doctest
import importlib

import pytest

MODULES = ["workbench.compile", "workbench.lower.lower", "workbench.tir.expr", "workbench.runtime.memory_plan",
           "workbench.runtime.native_plan", "workbench.graph.passes.pipeline", "workbench.graph.passes.block_layout",
           "workbench.graph.passes.store_padded", "workbench.graph.op.layout",
           "workbench.graph.op.schedules.conv2d_packed", "workbench.ansor.evolution", "workbench.ansor.cost_model",
           "workbench.graph.passes.winograd", "workbench.graph.op.schedules.winograd"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
