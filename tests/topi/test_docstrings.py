"""Every example in the operator library's docstrings runs."""
import doctest
import importlib

import pytest

MODULES = ["_util", "broadcast", "conv", "elemwise", "linalg", "norm", "numpy_ref", "padding", "pool", "reduction",
           "testing", "transform", "__init__"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module("workbench.topi" + ("" if name == "__init__" else f".{name}"))
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
