"""The graph IR: whole models as typed dataflow graphs of operator calls, and their passes.

>>> from workbench.graph import Var, Function, Module, call, TensorType
>>> x = Var("x", TensorType((1, 8)))
>>> mod = Module(Function((x,), call("nn.relu", x)))
"""
from .expr import Attrs, Call, Constant, Expr, Function, Module, Tuple, TupleGetItem, Var, call, call_function, const
from .interpreter import run
from .structural import structural_equal, structural_hash
from .types import TensorType, TupleType
from .verify import VerifyError, verify
from . import ops
