"""Math intrinsics (``Call`` nodes) → LLVM intrinsics, or libm where LLVM has no portable lowering.

``round`` is ``llvm.roundeven`` (half to even, as numpy rounds); ``rsqrt`` and ``sigmoid``
are spelled out with ``sqrt``/``exp``; ``erf``, ``tanh`` and ``log1p`` call libm
(``erff``...). In vector code, float32 ``erf``/``tanh``/``exp``/``log`` call glibc's vector
math (libmvec, 16 lanes per call on AVX-512, within 4 ulp); other cases call libm once per
lane. ``abs`` works on ints and floats.
"""
from __future__ import annotations

from llvmlite import ir

from ..errors import CodegenError
from ..tir import dtype as dt
from .lltypes import FAST, I1, I32, lanes_of, reg_type, type_suffix

# libm functions for intrinsics LLVM has no portable lowering for (scalarized in vector code)
_LIBM = {"erf": "erf", "tanh": "tanh", "log1p": "log1p"}
# float32 vectors of these go through glibc's libmvec when the machine has it (target.VECTOR_MATH_WIDTH)
_VECTOR_MATH = ("erf", "tanh", "exp", "log")
_LLVM_UNARY = {"exp": "exp", "log": "log", "sqrt": "sqrt", "floor": "floor", "ceil": "ceil",
               "round": "roundeven", "trunc": "trunc", "sin": "sin", "cos": "cos", "exp2": "exp2",
               "log2": "log2"}


class IntrinsicMixin:
    """``Call`` emission for ``ExprEmitter`` (uses its ``match``, ``intrinsic``, ``extern``, ``const_like``)."""

    # ------------------------------------------------------------ intrinsics
    def _call_llvm(self, name, args):
        t = args[0].type
        return self.intrinsic(f"llvm.{name}.{type_suffix(t)}", t, args, flags=FAST)

    def _vector_math(self, name, arg):
        """A float32 vector through glibc's vector math (16 or 8 lanes per call), or None."""
        from .target import VECTOR_MATH_WIDTH as w
        n = lanes_of(arg)
        if not w or n == 1 or name not in _VECTOR_MATH:
            return None
        bl = self.builder
        vt = ir.VectorType(ir.FloatType(), w)
        fn = self.extern(f"_ZGV{'e' if w == 16 else 'd'}N{w}v_{name}f", vt, [vt])
        undef = ir.Constant(arg.type, ir.Undefined)
        chunks = []
        for start in range(0, n, w):  # widen each chunk to w lanes (tail lanes undefined), call, narrow
            idx = [start + i if start + i < n else n for i in range(w)]  # index n picks from undef
            chunk = bl.shuffle_vector(arg, undef, ir.Constant(ir.VectorType(I32, w), idx))
            chunks.append(bl.call(fn, [chunk]))
        out = undef
        for i in range(n):
            out = bl.insert_element(out, bl.extract_element(chunks[i // w], ir.Constant(I32, i % w)),
                                    ir.Constant(I32, i))
        return out

    def _call_libm(self, name, arg, dtype):
        if dtype == "float32":
            v = self._vector_math(name, arg)
            if v is not None:
                return v
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
        if op in _VECTOR_MATH and t == "float32" and lanes_of(a) > 1:
            v = self._vector_math(op, a)
            if v is not None:
                return v
        if op in _LLVM_UNARY:
            return self._call_llvm(_LLVM_UNARY[op], [a])
        if op in _LIBM:
            return self._call_libm(_LIBM[op], a, t)
        if op == "pow":
            return self._call_llvm("pow", args)
        if op == "rsqrt":
            return bl.fdiv(self.const_like(a, 1.0), self._call_llvm("sqrt", [a]), flags=FAST)
        if op == "sigmoid":
            na = bl.fneg(a)
            e = (self._vector_math("exp", na) if t == "float32" and lanes_of(a) > 1 else None) \
                or self._call_llvm("exp", [na])
            one = self.const_like(a, 1.0)
            return bl.fdiv(one, bl.fadd(one, e, flags=FAST), flags=FAST)
        raise CodegenError(f"llvm codegen: unknown intrinsic {op!r} in {x}")

