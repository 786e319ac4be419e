"""Running passes: ``Pass`` (a named module -> module function), ``PassContext`` and instruments.

A pass context carries options (``opt_level``, ``config``) and instruments whose
``run_before_pass``/``run_after_pass`` hooks see every pass. ``Recorder`` keeps a
snapshot of the module before and after each pass, with a summary of what changed,
for the pass explorer and for tests. Contexts are passed explicitly, never
looked up from a hidden global.

>>> from workbench.graph.passes import PassContext, Recorder, optimize    # doctest: +SKIP
>>> rec = Recorder(); mod2 = optimize(mod, PassContext(instruments=[rec]))   # doctest: +SKIP
>>> rec.records[0].changed                                                      # doctest: +SKIP
"""
from __future__ import annotations

import collections
import time
from dataclasses import dataclass, field
from typing import Callable

from ..expr import Call, Function, Module
from ..functor import post_order


@dataclass(frozen=True)
class Pass:
    """A named transformation of a module."""
    name: str
    fn: Callable  # (Module, PassContext) -> Module
    doc: str = ""

    def __call__(self, mod: Module, ctx: "PassContext | None" = None) -> Module:
        ctx = ctx or PassContext()
        return ctx.run(self, mod)


def module_pass(name: str, doc: str = ""):
    """Decorate ``fn(mod, ctx) -> Module`` as a Pass."""
    def wrap(fn):
        return Pass(name, fn, doc or (fn.__doc__ or "").strip().splitlines()[0])
    return wrap


class Instrument:
    """Hooks around every pass run in a context; override what you need."""

    def run_before_pass(self, mod: Module, p: Pass) -> None:
        pass

    def run_after_pass(self, mod: Module, p: Pass, seconds: float) -> None:
        pass


@dataclass
class PassContext:
    """Options and instruments for running passes."""
    opt_level: int = 3
    config: dict = field(default_factory=dict)
    instruments: list = field(default_factory=list)
    disabled: tuple = ()

    def run(self, p: Pass, mod: Module) -> Module:
        if p.name in self.disabled:
            return mod
        for ins in self.instruments:
            ins.run_before_pass(mod, p)
        t0 = time.perf_counter()
        out = p.fn(mod, self)
        dt = time.perf_counter() - t0
        for ins in self.instruments:
            ins.run_after_pass(out, p, dt)
        return out


def op_counts(mod: Module) -> collections.Counter:
    """How many calls of each operator the module has (fused groups counted inside)."""
    c: collections.Counter = collections.Counter()
    for fn in mod.functions.values():
        for n in post_order(fn.body):
            if isinstance(n, Call):
                if isinstance(n.op, Function):
                    c["<fused group>"] += 1
                    for m in post_order(n.op.body):
                        if isinstance(m, Call) and not isinstance(m.op, Function):
                            c[m.op.name] += 1
                else:
                    c[n.op.name] += 1
    return c


@dataclass(frozen=True)
class PassRecord:
    """One pass run: the module before and after, time taken, and the op-count change."""
    name: str
    before: Module
    after: Module
    seconds: float
    removed: dict
    added: dict

    @property
    def changed(self) -> bool:
        return self.before is not self.after and (bool(self.removed) or bool(self.added) or
                                                  self.before.main is not self.after.main)

    def summary(self) -> str:
        parts = [f"-{n} {k}" for k, n in sorted(self.removed.items())] + \
                [f"+{n} {k}" for k, n in sorted(self.added.items())]
        return f"{self.name}: " + (", ".join(parts) if parts else ("rewired" if self.changed else "no change")) + \
            f" ({self.seconds * 1e3:.1f} ms)"


class Recorder(Instrument):
    """Keeps a ``PassRecord`` per pass run."""

    def __init__(self):
        self.records: list = []
        self._before = None

    def run_before_pass(self, mod, p):
        self._before = mod

    def run_after_pass(self, mod, p, seconds):
        b, a = op_counts(self._before), op_counts(mod)
        self.records.append(PassRecord(p.name, self._before, mod, seconds,
                                       dict(b - a), dict(a - b)))

    def __repr__(self):
        return "\n".join(r.summary() for r in self.records)
