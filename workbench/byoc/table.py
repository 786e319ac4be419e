"""Pattern tables: the operators and composite patterns a backend takes, each with its conditions.

A ``Rule`` is a named pattern plus ``Check``s (predicates on the match: attributes,
shapes, dtypes), each with the text shown when it fails. A rule whose pattern
covers more than one operator is a *composite* (conv2d + bias + relu becomes one
call the backend implements as a unit). Tables compose with ``+``.

>>> from workbench.byoc.pattern import is_op, wildcard, is_constant
>>> table = PatternTable([
...     Rule("conv2d_bias_relu", is_op("nn.relu")(is_op("add")(is_op("nn.conv2d")(wildcard(), is_constant()),
...                                                             is_constant()))),
...     Rule("matmul", is_op("nn.matmul"), [float32]),
... ])
>>> [r.name for r in table.composites], [r.name for r in table.singles]
(['conv2d_bias_relu'], ['matmul'])
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .pattern import Match, Mismatch, Pattern, PatternError, is_op, match


@dataclass(frozen=True)
class Check:
    """A condition on a match, with the text a user reads when it fails (``"groups == 1"``)."""
    text: str
    fn: Callable  # (Match) -> bool

    def __call__(self, m: Match) -> bool:
        return bool(self.fn(m))


def check(text: str, fn: Callable) -> Check:
    """A named predicate: ``check("groups == 1", lambda m: m.root.attrs["groups"] == 1)``."""
    return Check(text, fn)


float32 = Check("all tensors are float32",
                lambda m: all(getattr(x.type, "dtype", None) == "float32" for x in m.calls + m.inputs))


@dataclass(frozen=True)
class Rule:
    """A named pattern the backend takes, and the checks a match must pass."""
    name: str
    pattern: Pattern
    checks: tuple = ()

    def __post_init__(self):
        if not isinstance(self.pattern, Pattern):
            raise PatternError(f"rule {self.name!r}: {self.pattern!r} is not a pattern (build one with is_op(...))")
        object.__setattr__(self, "checks", tuple(self.checks))

    @property
    def composite(self) -> bool:
        """True when the pattern covers more than one operator call."""
        return _call_depth(self.pattern) > 1

    def try_match(self, expr) -> Match | Mismatch:
        """Match the pattern at ``expr`` and run the checks; a Mismatch names the failed condition."""
        m = match(self.pattern, expr)
        if not m:
            return m
        for c in self.checks:
            try:
                ok = c(m)
            except Exception as e:  # a predicate that crashes is a failed check, with the error shown
                return Mismatch(f"check {c.text!r} raised {type(e).__name__}: {e}")
            if not ok:
                return Mismatch(f"check {c.text!r} failed")
        return m


def _call_depth(p) -> int:
    from .pattern import AltPattern, AttrPattern, CallPattern, OpPattern, TypePattern
    if isinstance(p, CallPattern):
        return 1 + max((_call_depth(a) for a in p.args), default=0)
    if isinstance(p, OpPattern):
        return 1
    if isinstance(p, AltPattern):
        return max(_call_depth(p.left), _call_depth(p.right))
    if isinstance(p, (AttrPattern, TypePattern)):
        return _call_depth(p.inner)
    return 0


def op_rule(name: str, *checks: Check, rule_name: str = "") -> Rule:
    """A rule for a single operator with any arguments: ``op_rule("nn.relu", float32)``."""
    return Rule(rule_name or name, is_op(name), checks)


class PatternTable:
    """An ordered list of rules (composites are tried first, in order; then single operators)."""

    def __init__(self, rules=()):
        self.rules = tuple(rules)
        names = [r.name for r in self.rules]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise PatternError(f"pattern table: rule names must be unique, repeated: {', '.join(sorted(dup))}")

    def __add__(self, other: PatternTable) -> PatternTable:
        return PatternTable(self.rules + tuple(other.rules))

    def __iter__(self):
        return iter(self.rules)

    def __len__(self):
        return len(self.rules)

    @property
    def composites(self) -> list:
        """The rules covering more than one operator, in table order."""
        return [r for r in self.rules if r.composite]

    @property
    def singles(self) -> list:
        """The single-operator rules, in table order."""
        return [r for r in self.rules if not r.composite]

    def ops(self) -> set:
        """Every operator name some rule mentions."""
        return set().union(*(r.pattern.ops() for r in self.rules)) if self.rules else set()

    def only(self, *op_names: str) -> PatternTable:
        """The rules that mention one of ``op_names`` (e.g. only the conv2d rules)."""
        return PatternTable([r for r in self.rules if r.pattern.ops() & set(op_names)])

    def explain(self, expr) -> list:
        """Why no single-operator rule takes ``expr``: the failure of each rule for its operator,
        or "no pattern for <op>" when no rule is rooted at that operator."""
        from .pattern import _label
        out = []
        for r in self.singles:
            roots = r.pattern.root_ops()
            if roots is not None and getattr(getattr(expr, "op", None), "name", None) not in roots:
                continue
            m = r.try_match(expr)
            if not m:
                out.append(f"rule {r.name}: {m.reason}")
        if not out:
            out.append(f"no pattern for {_label(expr).split(' (')[0]}")
        return out

    def __repr__(self):
        return "PatternTable(\n" + "".join(f"  {r.name}: {r.pattern!r}" +
                                         (f"  if {', '.join(c.text for c in r.checks)}" if r.checks else "") + "\n"
                                         for r in self.rules) + ")"
