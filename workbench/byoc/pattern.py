"""A small pattern language over the graph IR: what a backend says it can take.

Patterns are built from a few pieces and read like the graph they match::

    x, w, b = wildcard(), is_constant(), is_constant()
    conv = is_op("nn.conv2d")(x, w).has_attr(groups=1)
    conv_bias_relu = is_op("nn.relu")(is_op("add")(conv, b))
    act = is_op("nn.relu") | is_op("sigmoid")        # alternatives
    square = wildcard().has_shape((None, 3, None, None)).has_dtype("float32")

``match(pattern, expr)`` returns a ``Match`` (the matched operator calls and the
values bound to the leaves) or a ``Mismatch`` whose ``reason`` says where and
why it failed ("nn.conv2d: attribute groups is 32, the pattern wants 1"), which
is what the partitioner reports for a node it did not offload. A pattern object
used twice must bind the same value both times (``is_op("add")(x, x)``).

>>> from workbench.graph import ops
>>> v = ops.var("v", (1, 4))
>>> bool(match(is_op("nn.relu")(wildcard()), ops.nn.relu(v)))
True
>>> match(is_op("nn.relu")(wildcard()), ops.exp(v)).reason
'expected nn.relu, found exp'
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import PatternError
from ..graph.expr import Call, Constant, Expr, Function, Var


class Pattern:
    """Base of every pattern; combine with ``|``, refine with ``has_attr``/``has_shape``/``has_dtype``."""

    def __or__(self, other: Pattern) -> Pattern:
        return AltPattern(self, other)

    def has_attr(self, **attrs) -> Pattern:
        """This pattern, and the matched call's attributes equal ``attrs``."""
        return AttrPattern(self, tuple(sorted(attrs.items())))

    def has_shape(self, shape) -> Pattern:
        """This pattern, and the value has ``shape`` (``None`` matches any size in that dimension)."""
        return TypePattern(self, shape=tuple(shape))

    def has_dtype(self, dtype: str) -> Pattern:
        """This pattern, and the value has ``dtype``."""
        return TypePattern(self, dtype=dtype)

    def ops(self) -> set:
        """Names of every operator the pattern mentions."""
        return set()

    def root_ops(self):
        """Operator names a match can be rooted at, or ``None`` when any value can be the root."""
        return


@dataclass(frozen=True, eq=False)
class WildcardPattern(Pattern):
    """Matches any value."""

    def __repr__(self):
        return "*"


@dataclass(frozen=True, eq=False)
class ConstantPattern(Pattern):
    """Matches a Constant (weights, biases)."""

    def __repr__(self):
        return "const"


@dataclass(frozen=True, eq=False)
class VarPattern(Pattern):
    """Matches a Var (a function parameter), by name if one is given."""
    name: str = ""

    def __repr__(self):
        return f"%{self.name or '*'}"


@dataclass(frozen=True, eq=False)
class OpPattern(Pattern):
    """A call of operator ``op``; calling it with argument patterns gives a ``CallPattern``."""
    op: str

    def __call__(self, *args: Pattern) -> CallPattern:
        for a in args:
            if not isinstance(a, Pattern):
                raise PatternError(f"is_op({self.op!r})(...): argument {a!r} is not a pattern; "
                                   "use wildcard(), is_constant() or another pattern")
        return CallPattern(self.op, tuple(args))

    def ops(self):
        return {self.op}

    def root_ops(self):
        return {self.op}

    def __repr__(self):
        return f"{self.op}(...)"


@dataclass(frozen=True, eq=False)
class CallPattern(Pattern):
    """A call of ``op`` whose arguments match ``args`` one by one."""
    op: str
    args: tuple

    def ops(self):
        return {self.op}.union(*(a.ops() for a in self.args))

    def root_ops(self):
        return {self.op}

    def __repr__(self):
        return f"{self.op}({', '.join(map(repr, self.args))})"


@dataclass(frozen=True, eq=False)
class AltPattern(Pattern):
    """Either ``left`` or ``right`` (tried in that order)."""
    left: Pattern
    right: Pattern

    def ops(self):
        return self.left.ops() | self.right.ops()

    def root_ops(self):
        a, b = self.left.root_ops(), self.right.root_ops()
        return None if a is None or b is None else a | b

    def __repr__(self):
        return f"({self.left!r} | {self.right!r})"


@dataclass(frozen=True, eq=False)
class AttrPattern(Pattern):
    """``inner``, and the call it matched has these attribute values."""
    inner: Pattern
    attrs: tuple

    def ops(self):
        return self.inner.ops()

    def root_ops(self):
        return self.inner.root_ops()

    def __repr__(self):
        return f"{self.inner!r}.has_attr({', '.join(f'{k}={v!r}' for k, v in self.attrs)})"


@dataclass(frozen=True, eq=False)
class TypePattern(Pattern):
    """``inner``, and the value has this shape (``None`` dims are free) and/or dtype."""
    inner: Pattern
    shape: tuple | None = None
    dtype: str | None = None

    def ops(self):
        return self.inner.ops()

    def root_ops(self):
        return self.inner.root_ops()

    def __repr__(self):
        what = f"has_shape({self.shape})" if self.shape is not None else f"has_dtype({self.dtype!r})"
        return f"{self.inner!r}.{what}"


def wildcard() -> Pattern:
    """A pattern matching any value (an input of the matched region)."""
    return WildcardPattern()


def is_constant() -> Pattern:
    """A pattern matching a constant tensor (weights)."""
    return ConstantPattern()


def is_var(name: str = "") -> Pattern:
    """A pattern matching a function parameter (by name if given)."""
    return VarPattern(name)


def is_op(name: str) -> OpPattern:
    """A call of operator ``name`` with any arguments; call it with patterns to constrain them.

    >>> is_op("add")(wildcard(), is_constant())
    add(*, const)
    """
    from ..graph.op import OPS
    if name not in OPS:
        import difflib
        close = difflib.get_close_matches(name, OPS, n=3)
        raise PatternError(f"is_op: unknown operator {name!r}" + (f"; did you mean {', '.join(close)}?" if close else ""))
    return OpPattern(name)


@dataclass
class Match:
    """A successful match: the operator calls it covers (root last) and what each pattern bound."""
    root: Expr
    calls: list = field(default_factory=list)
    bindings: dict = field(default_factory=dict)   # id(pattern) -> expr
    inputs: list = field(default_factory=list)     # values bound by leaf patterns, in first-seen order

    def __bool__(self):
        return True

    def __getitem__(self, pattern: Pattern) -> Expr:
        """The value a pattern (a leaf, or an inner call pattern) was bound to."""
        return self.bindings[id(pattern)]


@dataclass
class Mismatch:
    """A failed match and why."""
    reason: str

    def __bool__(self):
        return False


def _label(e) -> str:
    if isinstance(e, Call):
        op = e.op.attrs.get("Composite", e.op.name) if isinstance(e.op, Function) else e.op.name
        return op + (f" ({e.name})" if e.name else "")
    return type(e).__name__


class _Matcher:
    def __init__(self):
        self.calls: list = []
        self.bindings: dict = {}
        self.inputs: list = []

    def state(self):
        return list(self.calls), dict(self.bindings), list(self.inputs)

    def restore(self, s):
        self.calls, self.bindings, self.inputs = list(s[0]), dict(s[1]), list(s[2])

    def bind(self, p, e) -> str | None:
        old = self.bindings.get(id(p))
        if old is not None and old is not e:
            return f"{p!r} is used twice but matches two different values"
        self.bindings[id(p)] = e
        return None

    def leaf(self, p, e) -> str | None:
        bad = self.bind(p, e)
        if bad is None and not any(x is e for x in self.inputs):
            self.inputs.append(e)
        return bad

    def visit(self, p: Pattern, e: Expr) -> str | None:
        """None if ``e`` matches ``p``, else why not."""
        if isinstance(p, WildcardPattern):
            return self.leaf(p, e)
        if isinstance(p, ConstantPattern):
            return self.leaf(p, e) if isinstance(e, Constant) else f"expected a constant, found {_label(e)}"
        if isinstance(p, VarPattern):
            if not isinstance(e, Var) or (p.name and e.name != p.name):
                return f"expected variable %{p.name or '*'}, found {_label(e)}"
            return self.leaf(p, e)
        if isinstance(p, (OpPattern, CallPattern)):
            if not (isinstance(e, Call) and not isinstance(e.op, Function) and e.op.name == p.op):
                return f"expected {p.op}, found {_label(e)}"
            if isinstance(p, CallPattern):
                if len(p.args) != len(e.args):
                    return f"{_label(e)}: has {len(e.args)} arguments, the pattern has {len(p.args)}"
                for pa, ea in zip(p.args, e.args):
                    bad = self.visit(pa, ea)
                    if bad is not None:
                        return bad
            else:
                for ea in e.args:  # a bare is_op(...) takes any arguments: they are inputs of the match
                    if not any(x is ea for x in self.inputs):
                        self.inputs.append(ea)
            if any(c is e for c in self.calls):
                return None
            self.calls.append(e)
            return self.bind(p, e)
        if isinstance(p, AltPattern):
            saved = self.state()
            first = self.visit(p.left, e)
            if first is None:
                return None
            self.restore(saved)
            second = self.visit(p.right, e)
            if second is None:
                return None
            self.restore(saved)
            return f"neither alternative matched: {first}; or {second}"
        if isinstance(p, AttrPattern):
            bad = self.visit(p.inner, e)
            if bad is not None:
                return bad
            for k, want in p.attrs:
                have = e.attrs.get(k, "<missing>") if isinstance(e, Call) else "<missing>"
                if have != _freeze(want):
                    return f"{_label(e)}: attribute {k} is {have!r}, the pattern wants {want!r}"
            return None
        if isinstance(p, TypePattern):
            bad = self.visit(p.inner, e)
            if bad is not None:
                return bad
            t = e.type
            if p.dtype is not None and getattr(t, "dtype", None) != p.dtype:
                return f"{_label(e)}: dtype is {getattr(t, 'dtype', t)}, the pattern wants {p.dtype}"
            if p.shape is not None:
                shape = getattr(t, "shape", None)
                if shape is None or len(shape) != len(p.shape) or \
                        any(w is not None and w != s for w, s in zip(p.shape, shape)):
                    want = "(" + ", ".join("*" if w is None else str(w) for w in p.shape) + ")"
                    return f"{_label(e)}: shape is {shape}, the pattern wants {want}"
            return None
        raise PatternError(f"not a pattern: {p!r}")


def _freeze(v):
    return tuple(_freeze(x) for x in v) if isinstance(v, (list, tuple)) else v


def match(pattern: Pattern, expr: Expr) -> Match | Mismatch:
    """Match ``pattern`` rooted at ``expr``: a ``Match`` (truthy) or a ``Mismatch`` with the reason."""
    m = _Matcher()
    bad = m.visit(pattern, expr)
    if bad is not None:
        return Mismatch(bad)
    return Match(expr, m.calls, m.bindings, m.inputs)
