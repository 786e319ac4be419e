"""Check tuned kernels inside the model they were tuned for, and keep the default where it is faster.

Tuners time each candidate alone, its inputs and weights in the caches of the cores that
use them. Inside a model a kernel reads what the kernel before it left behind, often in
the other core's cache, and its weights come from memory: a schedule that won alone can
lose there. ``check_in_model`` compiles the model twice, with the default schedules and with
the records, profiles both kernel by kernel in turns on real inputs, and writes a copy of
the records without the tasks whose tuned kernels were slower in the model. Where AutoTVM
and Ansor both tuned a group, dropping the faster-measured tool's task lets the other's in:
the model is compiled again with the kept records and any such task is checked in turn. The
records file itself is never changed.

>>> check = check_in_model(mod, "resnet.jsonl", inputs={"input": x}, ctx=ctx)   # doctest: +SKIP
>>> print(check)    # per task: default and tuned ms in the model, kept or not     # doctest: +SKIP
>>> exe = wb.compile(mod, ctx=ctx, records=check.records)                       # doctest: +SKIP
"""
from __future__ import annotations

import os
import statistics
from dataclasses import dataclass, field

from . import records as rec


@dataclass
class TaskCheck:
    """One tuned task in the model: its kernels' summed median seconds with each schedule."""
    task: str
    kernels: int
    default: float
    tuned: float
    kept: bool


@dataclass
class InModelCheck:
    """The verdicts of ``check_in_model``; ``records`` is the path of the kept records."""
    records: str
    tasks: list = field(default_factory=list)
    margin: float = 0.02

    @property
    def dropped(self) -> list:
        return [t.task for t in self.tasks if not t.kept]

    def __repr__(self):
        lines = [f"{'task':52s} {'kernels':>7s} {'default':>10s} {'tuned':>10s}  verdict"]
        for t in sorted(self.tasks, key=lambda t: t.default - t.tuned):
            verdict = "tuned kept" if t.kept else "default kept"
            lines.append(f"{t.task[:52]:52s} {t.kernels:7d} {t.default * 1e3:8.3f}ms {t.tuned * 1e3:8.3f}ms  {verdict}")
        d, k = sum(t.default for t in self.tasks), sum(t.tuned if t.kept else t.default for t in self.tasks)
        lines.append(f"{len(self.dropped)} of {len(self.tasks)} tuned tasks were slower in the model than their "
                     f"default (by more than {self.margin:.0%}); their kernels: {d * 1e3:.3f} ms default, "
                     f"{k * 1e3:.3f} ms as kept -> {self.records}")
        return "\n".join(lines)


def check_in_model(mod, records, inputs: dict, ctx=None, rounds: int = 5, repeat: int = 10,
                   margin: float = 0.02, out: str | None = None) -> InModelCheck:
    """Profile ``mod`` compiled with its default schedules and with ``records`` in turns (``rounds``
    times, ``repeat`` runs each), and write the records without the tasks whose tuned kernels took
    more than ``1 + margin`` times their default's in-model time to ``out`` (default: ``records``
    with ``.in_model`` before its extension). ``inputs`` are the model's named inputs.

    >>> check = check_in_model(mod, "resnet.jsonl", {"input": x}, rounds=3)   # doctest: +SKIP
    >>> check.dropped, check.records                                          # doctest: +SKIP
    (['conv2d_packed_add_relu("299365fae667")'], 'resnet.in_model.jsonl')
    """
    from ..compile import compile as wb_compile
    if not isinstance(records, (str, os.PathLike)) or not os.path.exists(records):
        raise FileNotFoundError(f"check_in_model: records file {records!r} not found; tune first, or pass its path")
    if rounds < 1 or repeat < 1:
        raise ValueError(f"check_in_model: rounds and repeat must be >= 1, got {rounds} and {repeat}")
    default = wb_compile(mod, ctx=ctx)
    rows = list(rec.load(records))
    verdicts: dict = {}
    while True:  # a group tuned by AutoTVM and Ansor: dropping one's rows can let the other's in; check those too
        kept = [row for row in rows if row["task"]["key"] not in _dropped(verdicts)]
        tuned = wb_compile(mod, ctx=ctx, records=kept)
        if [st.name for st in tuned.steps] != [st.name for st in default.steps]:
            raise RuntimeError("check_in_model: the default and tuned compiles have different kernels; "
                               "was the records file made for another model or pass configuration?")
        fresh = {st.task for st in tuned.steps if st.task is not None} - set(verdicts)
        if not fresh:
            break
        med = _profile_in_turns(default, tuned, inputs, rounds, repeat)
        per_task: dict = {}
        for st in tuned.steps:  # a task's kernel may run several times: sum its steps
            if st.task in fresh:
                n, d, t = per_task.get(st.task, (0, 0.0, 0.0))
                per_task[st.task] = (n + 1, d + med["default"][st.name], t + med["tuned"][st.name])
        for task, (n, d, t) in per_task.items():
            verdicts[task] = TaskCheck(task, n, d, t, t <= d * (1 + margin))
        if all(verdicts[task].kept for task in fresh):
            break  # nothing more dropped: the kept records compile to what was just checked
    if out is None:
        root, ext = os.path.splitext(os.fspath(records))
        out = f"{root}.in_model{ext or '.jsonl'}"
    if os.path.exists(out):
        os.remove(out)
    rec.append(out, kept)
    return InModelCheck(out, list(verdicts.values()), margin)


def _dropped(verdicts: dict) -> set:
    return {task for task, v in verdicts.items() if not v.kept}


def _profile_in_turns(default, tuned, inputs: dict, rounds: int, repeat: int) -> dict:
    """``{"default": {kernel: median s}, "tuned": {...}}`` from ``rounds`` profiles of each, in turns."""
    times: dict = {"default": {}, "tuned": {}}
    for r in range(rounds):  # the order swapped each round
        order = (("default", default), ("tuned", tuned)) if r % 2 == 0 else (("tuned", tuned), ("default", default))
        for label, exe in order:
            for row in exe.profile(repeat=repeat, **inputs).rows:
                times[label].setdefault(row.name, []).append(row.seconds)
    return {label: {n: statistics.median(v) for n, v in t.items()} for label, t in times.items()}
