"""The record of applied schedule primitives: replayable, serializable, printable.

Each primitive a user applies becomes a ``Step`` naming its stage and arguments
by name (axes, tensors), so a trace is plain JSON, survives a kernel restart,
replays onto a fresh schedule of the same computation (undo = replay all but the
last step) and prints as the Python lines that would redo it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..errors import ScheduleError


def py_name(name: str) -> str:
    """A Python identifier for an axis or stage name (``i.outer`` -> ``i_outer``)."""
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return out if out and not out[0].isdigit() else "_" + out


@dataclass(frozen=True)
class Step:
    """One applied primitive: its kind, the stage it was applied to, and its arguments (plain data)."""
    kind: str
    stage: str
    args: dict = field(default_factory=dict)
    outputs: tuple = ()  # names of what it created (new axes, new stage)

    def to_json(self) -> dict:
        return {"kind": self.kind, "stage": self.stage, "args": self.args, "outputs": list(self.outputs)}

    @staticmethod
    def from_json(d: dict) -> "Step":
        try:
            return Step(str(d["kind"]), str(d["stage"]), dict(d.get("args", {})), tuple(d.get("outputs", ())))
        except (KeyError, TypeError) as e:
            raise ScheduleError(f"trace step {d!r} is malformed ({e}); expected kind, stage, args") from None

    def python(self) -> str:
        """The Python line that applies this step."""
        a, st = self.args, f"s[{py_name(self.stage)}]"
        outs = ", ".join(py_name(o) for o in self.outputs)
        k = self.kind
        if k == "split":
            kw = f"factor={a['factor']}" if a.get("factor") is not None else f"nparts={a['nparts']}"
            return f"{outs} = {st}.split({py_name(a['axis'])}, {kw})"
        if k == "tile":
            return (f"{outs} = {st}.tile({py_name(a['x'])}, {py_name(a['y'])}, "
                    f"x_factor={a['x_factor']}, y_factor={a['y_factor']})")
        if k == "fuse":
            return f"{outs} = {st}.fuse({', '.join(py_name(x) for x in a['axes'])})"
        if k == "reorder":
            return f"{st}.reorder({', '.join(py_name(x) for x in a['axes'])})"
        if k in ("vectorize", "parallel", "unroll"):
            return f"{st}.{k}({py_name(a['axis'])})"
        if k == "pragma":
            return f"{st}.pragma({py_name(a['axis'])}, {a['key']!r}, {a['value']!r})"
        if k == "compute_at":
            return f"{st}.compute_at(s[{py_name(a['target'])}], {py_name(a['axis'])})"
        if k in ("compute_inline", "compute_root"):
            return f"{st}.{k}()"
        if k == "cache_read":
            readers = ", ".join(py_name(r) for r in a["readers"])
            return f"{outs} = s.cache_read({py_name(self.stage)}, {a['scope']!r}, [{readers}])"
        if k == "cache_write":
            return f"{outs} = s.cache_write({py_name(self.stage)}, {a['scope']!r})"
        if k == "rfactor":
            return f"{outs} = s.rfactor({py_name(self.stage)}, {py_name(a['axis'])}, factor_axis={a['factor_axis']})"
        return f"# unknown step {k}"


class Trace:
    """An ordered list of steps; ``str(trace)`` is the Python that redoes them."""

    def __init__(self, steps=()):
        self.steps: list = list(steps)

    def append(self, step: Step) -> None:
        self.steps.append(step)

    def __len__(self):
        return len(self.steps)

    def __iter__(self):
        return iter(self.steps)

    def __getitem__(self, k):
        return Trace(self.steps[k]) if isinstance(k, slice) else self.steps[k]

    def python(self) -> str:
        return "\n".join(s.python() for s in self.steps)

    __str__ = python

    def __repr__(self):
        return f"Trace({len(self.steps)} steps)\n" + self.python()

    def to_json(self) -> str:
        """The steps as a JSON string."""
        return json.dumps([s.to_json() for s in self.steps])

    @staticmethod
    def from_json(text) -> "Trace":
        """Parse a trace written by ``to_json`` (a string or the already-decoded list)."""
        data = json.loads(text) if isinstance(text, str) else text
        if not isinstance(data, list):
            raise ScheduleError("a schedule trace must be a JSON list of steps")
        return Trace(Step.from_json(d) for d in data)
