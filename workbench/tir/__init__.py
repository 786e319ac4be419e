"""The loop-nest IR: scalar expressions, statements, simplifier and printer."""
from . import dtype
from .analysis import Analyzer, structural_equal
from .expr import (EQ, GE, GT, LE, LT, NE, Add, And, Buffer, Call, Cast, Div, FloatImm, FloorDiv, FloorMod,
                   IntImm, Load, Max, Min, Mul, Not, Or, PrimExpr, Select, Sub, Var, const)
from .functor import Mutator, Visitor, substitute
from .printer import expr_str, func_str, stmt_str
from .simplify import simplify
from .stmt import Allocate, Evaluate, For, ForKind, IfThenElse, PrimFunc, SeqStmt, Stmt, Store, seq
