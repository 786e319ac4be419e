"""Templates and tasks: a template is a schedule with knobs, a task is a template at one shape.

``@template(name)`` registers ``fn(cfg, *args) -> (Schedule, tensors)`` in
``TEMPLATES`` (a plain dict, nothing implicit). ``task(name, args)`` pairs a
template with its arguments; the task collects its ``ConfigSpace`` by running the
template once with a space, and turns any config of it into a schedule
(``instantiate``), a loop nest (``lower``) or the expected outputs (``reference``).

``GROUP_TEMPLATES`` maps a graph op (the anchor of a fused group) to
``(template name, args_of_group, schedule_fn)``: ``args_of_group(anchor)`` gives
the task arguments of a group's anchor tensor (or None when the template does not
apply), and ``schedule_fn(cfg, outs, anchor)`` schedules the whole group (anchor
plus prologue and epilogue) with one config of that task. An op with several
templates has extra entries keyed ``"<op>#<variant>"`` (``"nn.conv2d#depthwise"``);
``match_group`` tries them in order.

>>> import workbench.autotvm as autotvm
>>> t = autotvm.task("matmul", (64, 64, 64))
>>> t.key, t.flop
('matmul(64, 64, 64)', 524288.0)
>>> s, tensors = t.instantiate(t.space.get(0))
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import WorkbenchError
from ..te.reference import topo_order
from ..te.tensor import ComputeOp, PlaceholderOp, Reduce
from ..errors import ConfigError
from .space import ConfigEntity, ConfigSpace, FallbackConfig


@dataclass(frozen=True)
class Template:
    """A registered template: ``fn(cfg, *args) -> (Schedule, [input tensors..., output tensors...])``."""
    name: str
    fn: object


TEMPLATES: dict = {}
GROUP_TEMPLATES: dict = {}


def template(name: str):
    """Register a template under ``name`` (re-registering replaces it: re-running a notebook cell works).

    >>> from workbench import te
    >>> @template("scale_demo")
    ... def scale_demo(cfg, n):
    ...     A = te.placeholder((n,), name="A"); B = te.compute((n,), lambda i: A[i] * 2.0, name="B")
    ...     s = te.create_schedule(B.op)
    ...     xo, xi = cfg.define_split("tile", B.op.axis[0], num_outputs=2).apply(s[B], B.op.axis[0])
    ...     return s, [A, B]
    >>> len(task("scale_demo", (64,)).space)
    7
    """
    if not isinstance(name, str) or not name:
        raise ConfigError(f"template: the name must be a non-empty string, got {name!r}")

    def register(fn):
        TEMPLATES[name] = Template(name, fn)
        return fn
    return register


def _task_key(name: str, args) -> str:
    try:
        from ..tune.records import task_key
    except ImportError:  # records not there yet: the same canonical form
        return f"{name}({', '.join(repr(a) for a in args)})"
    return task_key(name, args)


def _plain_args(name: str, args) -> tuple:
    def plain(a):
        if isinstance(a, (bool, int, float, str)) or a is None:
            return a
        if isinstance(a, (list, tuple)):
            return tuple(plain(x) for x in a)
        if hasattr(a, "item"):  # numpy scalars
            return plain(a.item())
        raise ConfigError(f"task {name!r}: argument {a!r} is not a plain value (int, float, str, tuple)")
    if not isinstance(args, (list, tuple)):
        raise ConfigError(f"task {name!r}: args must be a tuple, got {args!r}")
    return tuple(plain(a) for a in args)


def flop_of(outputs) -> float:
    """Floating-point operations of the reductions reaching ``outputs``: 2 x multiply-adds."""
    total = 0
    for op in topo_order(outputs):
        if isinstance(op, ComputeOp) and isinstance(op.body, Reduce):
            total += 2 * math.prod(op.output(0).shape) * math.prod(iv.extent for iv in op.reduce_axis)
    return float(total)


class Task:
    """A template at one set of arguments: the unit a tuner tunes and records store.

    >>> t = Task("matmul", (32, 32, 32)); len(t.space) > 1
    True
    """

    def __init__(self, name: str, args):
        if name not in TEMPLATES:
            known = ", ".join(sorted(TEMPLATES)) or "(none)"
            raise ConfigError(f"no template named {name!r}; registered templates: {known}")
        self.name = name
        self.args = _plain_args(name, args)
        self.template = TEMPLATES[name]
        self.key = _task_key(name, self.args)
        self._space = None
        self._flop = None

    @property
    def space(self) -> ConfigSpace:
        """The config space, collected by running the template once with a ``ConfigSpace``."""
        if self._space is None:
            space = ConfigSpace()
            _, tensors = self.template.fn(space, *self.args)
            self._space = space
            self._flop = flop_of([t for t in tensors if not isinstance(t.op, PlaceholderOp)])
        return self._space

    @property
    def flop(self) -> float:
        """2 x multiply-adds of the task's reductions (GFLOPS = flop / seconds / 1e9)."""
        self.space  # noqa: B018  (collecting the space computes it)
        return self._flop

    @property
    def fallback(self) -> FallbackConfig:
        """The config used when this task was not tuned."""
        return FallbackConfig(self.space)

    def config(self, index_or_json) -> ConfigEntity:
        """A config of this task from its index or its JSON (``ConfigEntity.to_json``)."""
        if isinstance(index_or_json, dict):
            return ConfigEntity.from_json(self.space, index_or_json)
        return self.space.get(index_or_json)

    def _check(self, config) -> ConfigEntity:
        if isinstance(config, (int, dict)):
            return self.config(config)
        if not isinstance(config, ConfigEntity):
            raise ConfigError(f"task {self.key}: expected a ConfigEntity, an index or config JSON, got {config!r:.100}")
        if config.space is not self.space and config.space.signature() != self.space.signature():
            raise ConfigError(f"task {self.key}: the config belongs to another space (another task or shape)")
        return config

    def instantiate(self, config) -> tuple:
        """``(Schedule, tensors)`` of the template with ``config``; may raise ``ScheduleError``."""
        return self.template.fn(self._check(config), *self.args)

    def lower(self, config, name: str | None = None):
        """The loop nest (``tir.PrimFunc``) of ``config``; raises ``ScheduleError``/``LoweringError``
        when the config is not a legal schedule."""
        from ..lower import lower
        s, tensors = self.instantiate(config)
        return lower(s, tensors, name or self.name)

    def tensors(self) -> tuple:
        """``(inputs, outputs)``: the template's placeholder and output tensors."""
        _, tensors = self.template.fn(self.fallback, *self.args)
        inputs = [t for t in tensors if isinstance(t.op, PlaceholderOp)]
        return inputs, [t for t in tensors if not isinstance(t.op, PlaceholderOp)]

    def reference(self, seed: int = 0):
        """What every config must compute: random inputs and the expected outputs (``tune.measure.Reference``)."""
        from ..tune.measure import Reference
        inputs, outputs = self.tensors()
        return Reference.from_tensors(inputs, outputs, seed=seed)

    def __repr__(self):
        return f"Task({self.key})"

    def __eq__(self, other):
        return isinstance(other, Task) and other.key == self.key

    def __hash__(self):
        return hash(self.key)


def task(name: str, args) -> Task:
    """The task of template ``name`` at ``args``.

    >>> task("dense", (1, 512, 256)).key
    'dense(1, 512, 256)'
    """
    return Task(name, args)


def match_group(anchor_op_name: str, anchor):
    """``(template name, args, schedule_fn)`` for a fused group's anchor, or None when no template applies."""
    for key, (name, args_of_group, schedule_fn) in GROUP_TEMPLATES.items():
        if key != anchor_op_name and not key.startswith(anchor_op_name + "#"):
            continue
        try:
            args = args_of_group(anchor)
        except WorkbenchError:
            args = None
        if args is not None:
            return name, tuple(args), schedule_fn
    return None
