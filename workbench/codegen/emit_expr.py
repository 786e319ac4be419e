"""Scalar and vector expressions → LLVM IR.

An expression is emitted as one ``llvmlite.ir`` value. Inside a vectorized loop
the loop variable is a vector ``<base+0, ..., base+L-1>``; values that do not
depend on it stay scalar and are broadcast ("splatted") only where they meet a
vector, so loop-invariant work is not repeated per lane.

Semantics follow C and numpy: integer ``Div`` truncates, ``FloorDiv``/``FloorMod``
round toward minus infinity, ``bool`` is ``i1`` in registers and one byte in
memory. Float arithmetic carries fast-math flags that allow FMA contraction and
reassociation, but not ``nnan``/``ninf``, so ``-inf`` and comparisons stay exact.
"""
from __future__ import annotations

from llvmlite import ir

from ..errors import CodegenError
from ..tir import dtype as dt
from ..tir.analysis import Analyzer, skey
from ..tir.expr import EQ, GE, GT, LE, LT, NE, Add, And, Div, FloorDiv, FloorMod, IntImm, Load, Mul, Not, Or, cast
from ..tir.functor import post_order_visit
from ..tir.simplify import simplify
from .intrinsics import IntrinsicMixin
from .lltypes import EXACT_DIV, FAST, I32, lanes_of, reg_type, type_suffix


def loads_and_divisions(x) -> tuple:
    """The ``Load`` nodes and the integer divisions by a non-constant in ``x``."""
    loads, divs = [], []

    def visit(n):
        if isinstance(n, Load):
            loads.append(n)
        elif isinstance(n, (Div, FloorDiv, FloorMod)) and dt.is_int(n.dtype) and not isinstance(n.b, IntImm):
            divs.append(n)
    post_order_visit(x, visit)
    return loads, divs


class ExprEmitter(IntrinsicMixin):
    """Emits expressions into ``self.builder``; the statement emitter subclasses it.

    State used here: ``module``, ``builder``, ``vars`` (Var → value), ``bufs`` (Buffer →
    pointer), ``vec`` (the active vectorized loop or None) and ``mask`` (the lanes a
    masked vector ``Select``/``if`` currently computes, or None for all lanes).
    """

    module: ir.Module
    builder: ir.IRBuilder
    analyzer: Analyzer  # constant ranges of the enclosing loop variables
    ld_memo: dict       # id(expr) -> (expr, its loads and divisions)
    flat_memo: dict     # id(indices) -> (indices, buffer, flat index)
    bounds_memo: dict   # id(load) -> (load, in bounds?), cleared at every statement

    # ------------------------------------------------------------ helpers
    def expr(self, x) -> ir.Value:
        fn = getattr(self, "e_" + type(x).__name__, None)
        if fn is None:
            raise CodegenError(f"llvm codegen: cannot compile expression node {type(x).__name__} ({x}); "
                               "lower it to loop-nest IR (workbench.tir) first")
        return fn(x)

    def splat(self, v, lanes: int):
        """``v`` broadcast to ``lanes`` lanes (unchanged if already a vector)."""
        if lanes_of(v) == lanes or lanes == 1:
            return v
        vt = ir.VectorType(v.type, lanes)
        if isinstance(v, ir.Constant):
            return ir.Constant(vt, [v.constant] * lanes) if not isinstance(v.constant, list) else v
        b = self.builder
        one = b.insert_element(ir.Constant(vt, ir.Undefined), v, ir.Constant(I32, 0))
        return b.shuffle_vector(one, ir.Constant(vt, ir.Undefined), ir.Constant(ir.VectorType(I32, lanes), [0] * lanes))

    def match(self, *vals):
        lanes = max(lanes_of(v) for v in vals)
        return [self.splat(v, lanes) for v in vals]

    def const_like(self, v, value):
        t = v.type
        if isinstance(t, ir.VectorType):
            return ir.Constant(t, [value] * t.count)
        return ir.Constant(t, value)

    def intrinsic(self, name: str, ret: ir.Type, args: list, flags=()):
        fn = self.module.globals.get(name)
        if fn is None:
            fn = ir.Function(self.module, ir.FunctionType(ret, [a.type for a in args]), name)
        return self.builder.call(fn, args, fastmath=flags)

    def extern(self, name: str, ret: ir.Type, argtypes: list) -> ir.Function:
        fn = self.module.globals.get(name)
        if fn is None:
            fn = ir.Function(self.module, ir.FunctionType(ret, argtypes), name)
        return fn

    # ------------------------------------------------------------ leaves
    def e_IntImm(self, x):
        return ir.Constant(reg_type(x.dtype), int(x.value) & ((1 << dt.bits(x.dtype)) - 1)
                           if dt.is_uint(x.dtype) else int(x.value))

    def e_FloatImm(self, x):
        return ir.Constant(reg_type(x.dtype), float(x.value))

    def e_Var(self, x):
        try:
            return self.vars[x]
        except KeyError:
            raise CodegenError(f"llvm codegen: variable {x.name!r} is used outside the loop that defines it "
                               "(PrimFunc parameters must be Buffers; scalars must be loop variables)") from None

    # ------------------------------------------------------------ arithmetic
    def _operands(self, x):
        return self.match(self.expr(x.a), self.expr(x.b))

    def e_Add(self, x):
        a, b = self._operands(x)
        return self.builder.fadd(a, b, flags=FAST) if dt.is_float(x.dtype) else self.builder.add(a, b)

    def e_Sub(self, x):
        a, b = self._operands(x)
        return self.builder.fsub(a, b, flags=FAST) if dt.is_float(x.dtype) else self.builder.sub(a, b)

    def e_Mul(self, x):
        a, b = self._operands(x)
        if dt.is_bool(x.dtype):
            return self.builder.and_(a, b)
        return self.builder.fmul(a, b, flags=FAST) if dt.is_float(x.dtype) else self.builder.mul(a, b)

    def _safe_divisor(self, b):
        """Inside a masked vector region, inactive lanes divide by 1 so they cannot trap."""
        if self.mask is None or isinstance(b, ir.Constant):
            return b
        b = self.splat(b, lanes_of(self.mask))
        return self.builder.select(self.mask, b, self.const_like(b, 1))

    def e_Div(self, x):
        a, b = self._operands(x)
        if dt.is_float(x.dtype):
            return self.builder.fdiv(a, b, flags=EXACT_DIV)
        b = self._safe_divisor(b)
        return self.builder.udiv(a, b) if dt.is_uint(x.dtype) or dt.is_bool(x.dtype) else self.builder.sdiv(a, b)

    def _floor_fix(self, r, b):
        """True where a truncated remainder ``r`` needs a floor correction (non-zero, sign differs from b)."""
        bl = self.builder
        zero = self.const_like(r, 0)
        nonzero = bl.icmp_signed("!=", r, zero)
        differ = bl.icmp_signed("<", bl.xor(r, b), zero)
        return bl.and_(nonzero, differ)

    def e_FloorDiv(self, x):
        a, b = self._operands(x)
        bl = self.builder
        if dt.is_float(x.dtype):
            return self._call_llvm("floor", [bl.fdiv(a, b, flags=EXACT_DIV)])
        b = self._safe_divisor(b)
        if dt.is_uint(x.dtype) or dt.is_bool(x.dtype):
            return bl.udiv(a, b)
        q, r = bl.sdiv(a, b), bl.srem(a, b)
        return bl.sub(q, bl.zext(self._floor_fix(r, b), q.type))

    def e_FloorMod(self, x):
        a, b = self._operands(x)
        bl = self.builder
        if dt.is_float(x.dtype):
            q = self._call_llvm("floor", [bl.fdiv(a, b, flags=EXACT_DIV)])
            return bl.fsub(a, bl.fmul(b, q, flags=FAST), flags=FAST)
        b = self._safe_divisor(b)
        if dt.is_uint(x.dtype) or dt.is_bool(x.dtype):
            return bl.urem(a, b)
        r = bl.srem(a, b)
        return bl.select(self._floor_fix(r, b), bl.add(r, b), r)

    def _minmax(self, x, kind: str):
        a, b = self._operands(x)
        if dt.is_float(x.dtype):
            # llvm.minimum/maximum propagate NaN like numpy's np.minimum/np.maximum. (minnum/maxnum
            # ignore NaN, and LLVM 22's vectorizer drops the last iteration of a minnum reduction
            # into an invariant address on znver5: found by tests/schedule/test_random_schedules.py)
            name = "minimum" if kind == "min" else "maximum"
        elif dt.is_bool(x.dtype):
            return self.builder.and_(a, b) if kind == "min" else self.builder.or_(a, b)
        else:
            name = ("u" if dt.is_uint(x.dtype) else "s") + kind
        return self.intrinsic(f"llvm.{name}.{type_suffix(a.type)}", a.type, [a, b])

    def e_Min(self, x):
        return self._minmax(x, "min")

    def e_Max(self, x):
        return self._minmax(x, "max")

    # ------------------------------------------------------------ comparisons and logic
    def _compare(self, x, op: str):
        a, b = self._operands(x)
        t = x.a.dtype
        if dt.is_float(t):
            # numpy semantics: every comparison with NaN is False except !=
            return self.builder.fcmp_unordered(op, a, b) if op == "!=" else self.builder.fcmp_ordered(op, a, b)
        if dt.is_uint(t) or dt.is_bool(t):
            return self.builder.icmp_unsigned(op, a, b)
        return self.builder.icmp_signed(op, a, b)

    def e_EQ(self, x): return self._compare(x, "==")
    def e_NE(self, x): return self._compare(x, "!=")
    def e_LT(self, x): return self._compare(x, "<")
    def e_LE(self, x): return self._compare(x, "<=")
    def e_GT(self, x): return self._compare(x, ">")
    def e_GE(self, x): return self._compare(x, ">=")

    def e_And(self, x):
        a, b = self._operands(x)
        return self.builder.and_(a, b)

    def e_Or(self, x):
        a, b = self._operands(x)
        return self.builder.or_(a, b)

    def e_Not(self, x):
        return self.builder.not_(self.expr(x.a))

    # ------------------------------------------------------------ conversions
    def e_Cast(self, x):
        return self.convert(self.expr(x.value), x.value.dtype, x.dtype)

    def convert(self, v, src: str, dst: str):
        """``v`` (of dtype ``src``) converted to ``dst`` with C/numpy semantics."""
        if src == dst:
            return v
        bl = self.builder
        lanes = lanes_of(v)
        to = reg_type(dst, lanes)
        if dt.is_bool(dst):
            if dt.is_float(src):
                return bl.fcmp_unordered("!=", v, self.const_like(v, 0.0))
            return bl.icmp_unsigned("!=", v, self.const_like(v, 0))
        if dt.is_float(src):
            if dt.is_float(dst):
                return bl.fpext(v, to) if dt.bits(dst) > dt.bits(src) else bl.fptrunc(v, to)
            return bl.fptoui(v, to) if dt.is_uint(dst) else bl.fptosi(v, to)
        unsigned = dt.is_uint(src) or dt.is_bool(src)
        if dt.is_float(dst):
            return bl.uitofp(v, to) if unsigned else bl.sitofp(v, to)
        sb, db = dt.bits(src), dt.bits(dst)
        if db == sb:
            return v
        if db < sb:
            return bl.trunc(v, to)
        return bl.zext(v, to) if unsigned else bl.sext(v, to)

    def index(self, x):
        """An index expression as an int64 value."""
        return self.convert(self.expr(x), x.dtype, dt.INDEX)

    # ------------------------------------------------------------ select
    def may_trap(self, x, guard) -> bool:
        """Could evaluating ``x`` fault when ``guard`` is false? Loads that are provably in bounds
        (from the loop ranges) or that ``guard`` itself performs are safe; so are constant divisors."""
        loads, divs = self._loads_and_divisions(x)
        if divs:
            return True
        guarded = self._loads_and_divisions(guard)[0]
        if not guarded:
            return any(not self._in_bounds(ld) for ld in loads)
        done = {skey(ld) for ld in guarded}
        return any(not self._in_bounds(ld) for ld in loads if skey(ld) not in done)

    def _loads_and_divisions(self, x) -> tuple:
        """``loads_and_divisions(x)``, remembered per node: a chain of selects (a Winograd transform's 36
        sums) asks it of each link's rest, which would walk the chain once per link."""
        memo = self.ld_memo
        hit = memo.get(id(x))
        if hit is None or hit[0] is not x:
            hit = memo[id(x)] = (x, loads_and_divisions(x))
        return hit[1]

    def flat(self, buffer, indices):
        """``flat_index(buffer, indices)``, remembered per index tuple: unrolled copies of a body and the bounds
        checks of selects ask again for the same loads."""
        memo = self.flat_memo
        hit = memo.get(id(indices))
        if hit is None or hit[0] is not indices or hit[1] is not buffer:
            hit = memo[id(indices)] = (indices, buffer, flat_index(buffer, indices))
        return hit[2]

    def _in_bounds(self, ld) -> bool:
        """Whether load ``ld`` stays inside its buffer for every value of the loop variables, remembered until
        the next statement (the ranges of the variables change only between statements)."""
        memo = self.bounds_memo
        hit = memo.get(id(ld))
        if hit is None or hit[0] is not ld:
            lo, hi = self.analyzer.bound(self.flat(ld.buffer, ld.indices))
            hit = memo[id(ld)] = (ld, lo >= 0 and hi < ld.buffer.span)
        return hit[1]

    def known(self, cond) -> bool | None:
        """The value of a scalar integer condition when the loop ranges decide it (an unrolled loop's
        variable is one number in each copy of the body), else None."""
        if isinstance(cond, (EQ, NE, LT, LE, GT, GE)):
            if not (dt.is_int(cond.a.dtype) and dt.is_int(cond.b.dtype)):
                return None
            (alo, ahi), (blo, bhi) = self.analyzer.bound(cond.a), self.analyzer.bound(cond.b)
            if None in (alo, ahi, blo, bhi) or any(abs(v) == float("inf") for v in (alo, ahi, blo, bhi)):
                return None
            if isinstance(cond, (EQ, NE)):
                same = alo == ahi == blo == bhi
                apart = ahi < blo or bhi < alo
                val = True if same else False if apart else None
                return val if val is None or isinstance(cond, EQ) else not val
            lt = {LT: (ahi < blo, alo >= bhi), LE: (ahi <= blo, alo > bhi),
                  GT: (alo > bhi, ahi <= blo), GE: (alo >= bhi, ahi < blo)}[type(cond)]
            return True if lt[0] else False if lt[1] else None
        if isinstance(cond, (And, Or)):
            a, b = self.known(cond.a), self.known(cond.b)
            if isinstance(cond, And):
                return False if False in (a, b) else True if (a, b) == (True, True) else None
            return True if True in (a, b) else False if (a, b) == (False, False) else None
        if isinstance(cond, Not):
            a = self.known(cond.a)
            return None if a is None else not a
        return None

    def e_Select(self, x):
        decided = self.known(x.cond)
        if decided is not None:  # e.g. a Winograd tile position in an unrolled loop: emit the one side
            return self.expr(x.true_value if decided else x.false_value)
        if not (self.may_trap(x.true_value, x.cond) or self.may_trap(x.false_value, x.cond)):
            c, t, f = self.match(self.expr(x.cond), self.expr(x.true_value), self.expr(x.false_value))
            return self.builder.select(c, t, f)
        cond = self.expr(x.cond)
        if lanes_of(cond) > 1:
            return self._masked_select(x, cond)
        return self._branch_select(x, cond)

    def _masked_select(self, x, cond):
        """Vector select whose sides read memory: each side only reads the lanes it supplies."""
        outer = self.mask
        bl = self.builder
        self.mask = cond if outer is None else bl.and_(outer, cond)
        t = self.expr(x.true_value)
        notc = bl.not_(cond)
        self.mask = notc if outer is None else bl.and_(outer, notc)
        f = self.expr(x.false_value)
        self.mask = outer
        c, t, f = self.match(cond, t, f)
        return bl.select(c, t, f)

    def _branch_select(self, x, cond):
        """Scalar-condition select whose sides may fault: real control flow, then a phi."""
        bl = self.builder
        then_bb = bl.append_basic_block("sel.then")
        else_bb = bl.append_basic_block("sel.else")
        merge_bb = bl.append_basic_block("sel.end")
        bl.cbranch(cond, then_bb, else_bb)
        bl.position_at_end(then_bb)
        t = self.expr(x.true_value)
        then_vals = (t, bl.block)
        bl.position_at_end(else_bb)
        f = self.expr(x.false_value)
        lanes = max(lanes_of(t), lanes_of(f))
        f = self.splat(f, lanes)
        else_end = bl.block
        bl.branch(merge_bb)
        bl.position_at_end(then_vals[1])
        t = self.splat(t, lanes)
        then_end = bl.block
        bl.branch(merge_bb)
        bl.position_at_end(merge_bb)
        phi = bl.phi(t.type)
        phi.add_incoming(t, then_end)
        phi.add_incoming(f, else_end)
        return phi

    # ------------------------------------------------------------ memory
    def e_Load(self, x):
        return self.load(x.buffer, x.indices)


def flat_index(buffer, indices):
    """The element offset of ``indices`` in ``buffer`` (row-major, or by its strides) as one int64 tir expression."""
    shape = buffer.shape
    if len(indices) != len(shape):
        raise CodegenError(f"llvm codegen: buffer {buffer.name!r} has {len(shape)} dimensions "
                           f"but is indexed with {len(indices)} indices")
    flat = None
    for stride, idx in zip(reversed(buffer.row_strides), reversed(indices)):
        term = cast(dt.INDEX, idx)
        if stride != 1:
            term = Mul(term, IntImm(int(stride), dt.INDEX), dt.INDEX)
        flat = term if flat is None else Add(term, flat, dt.INDEX)
    return simplify(flat if flat is not None else IntImm(0, dt.INDEX))

