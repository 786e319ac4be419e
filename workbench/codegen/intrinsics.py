"""Math intrinsics (``Call`` nodes) → LLVM intrinsics, or libm where LLVM has no portable lowering.

``round`` is ``llvm.roundeven`` (half to even, as numpy rounds); ``rsqrt`` and ``sigmoid``
are spelled out with ``sqrt``/``exp``; ``erf``, ``tanh`` and ``log1p`` call libm
(``erff``...), one call per lane in vector code. ``abs`` works on ints and floats.
"""
from __future__ import annotations

from llvmlite import ir

from ..errors import CodegenError
from ..tir import dtype as dt
from .lltypes import FAST, I1, I32, lanes_of, reg_type, type_suffix

# libm functions for intrinsics LLVM has no portable lowering for (scalarized in vector code)
_LIBM = {"erf": "erf", "tanh": "tanh", "log1p": "log1p"}
_LLVM_UNARY = {"exp": "exp", "log": "log", "sqrt": "sqrt", "floor": "floor", "ceil": "ceil",
               "round": "roundeven", "trunc": "trunc", "sin": "sin", "cos": "cos", "exp2": "exp2",
               "log2": "log2"}


class IntrinsicMixin:
    """``Call`` emission for ``ExprEmitter`` (uses its ``match``, ``intrinsic``, ``extern``, ``const_like``)."""

    # ------------------------------------------------------------ intrinsics
    def _call_llvm(self, name, args):
        t = args[0].type
        return self.intrinsic(f"llvm.{name}.{type_suffix(t)}", t, args, flags=FAST)

    def _call_libm(self, name, arg, dtype):
        scalar = reg_type(dtype)
        fn = self.extern(name + ("f" if dtype == "float32" else ""), scalar, [scalar])
        n = lanes_of(arg)
        if n == 1:
            return self.builder.call(fn, [arg])
        out = ir.Constant(arg.type, ir.Undefined)
        for i in range(n):  # libm has no vector entry points we can rely on: one call per lane
            lane = self.builder.extract_element(arg, ir.Constant(I32, i))
            out = self.builder.insert_element(out, self.builder.call(fn, [lane]), ir.Constant(I32, i))
        return out

    def e_Call(self, x):
        op, t = x.op, x.dtype
        args = self.match(*[self.expr(a) for a in x.args])
        bl = self.builder
        if op == "abs":
            if dt.is_float(t):
                return self._call_llvm("fabs", args)
            if dt.is_uint(t) or dt.is_bool(t):
                return args[0]
            a = args[0]
            return self.intrinsic(f"llvm.abs.{type_suffix(a.type)}", a.type, [a, ir.Constant(I1, 0)])
        if not dt.is_float(t):
            raise CodegenError(f"llvm codegen: intrinsic {op} needs a float argument, got {t} in {x}")
        a = args[0]
        if op in _LLVM_UNARY:
            return self._call_llvm(_LLVM_UNARY[op], [a])
        if op in _LIBM:
            return self._call_libm(_LIBM[op], a, t)
        if op == "pow":
            return self._call_llvm("pow", args)
        if op == "rsqrt":
            return bl.fdiv(self.const_like(a, 1.0), self._call_llvm("sqrt", [a]), flags=FAST)
        if op == "sigmoid":
            e = self._call_llvm("exp", [bl.fneg(a)])
            one = self.const_like(a, 1.0)
            return bl.fdiv(one, bl.fadd(one, e, flags=FAST), flags=FAST)
        raise CodegenError(f"llvm codegen: unknown intrinsic {op!r} in {x}")

