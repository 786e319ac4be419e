"""``wb.compile``: a graph module becomes an ``Executable`` (one kernel per fused group).

>>> import numpy as np, workbench as wb
>>> from workbench.graph.expr import Var, Function, Module, call
>>> from workbench.graph.types import TensorType
>>> x = Var("x", TensorType((4,)))
>>> exe = wb.compile(Module(Function((x,), call("nn.relu", x))))
>>> exe.run(x=np.array([-1, 2, -3, 4], "float32"))
array([0., 2., 0., 4.], dtype=float32)
"""
from __future__ import annotations

import time

import numpy as np

from .errors import CodegenError
from .graph.expr import (
    Attrs,
    Call,
    Constant,
    Function,
    Module,
    Tuple,
    TupleGetItem,
    Var,
    call,
)
from .graph.functor import post_order, users
from .graph.passes import PassContext, optimize
from .graph.passes.store_padded import is_kernel_call
from .graph.printer import function_str
from .graph.to_te import default_schedule, group_to_te
from .graph.verify import verify
from .lower import lower
from .runtime import build_kernel
from .runtime.executable import Executable, Step
from .runtime.memory_plan import SlotSpec

VIEW = "nn.padded_view"  # realized as a view of a bordered storage (pass store_padded)


def _is_view(n) -> bool:
    return isinstance(n, Call) and getattr(n.op, "name", "") == VIEW


HEAVY = ("nn.conv2d", "nn.conv2d_packed", "nn.conv2d_transpose", "nn.dense", "nn.matmul")


def _is_fused(fn: Function) -> bool:
    return any(isinstance(n, Call) and isinstance(n.op, Function) for n in post_order(fn.body))


def _flops(g) -> float | None:
    """2 x multiply-adds of the anchor, for conv/dense/matmul groups."""
    if g.anchor_op is None or g.anchor_op.name not in HEAVY:
        return None
    op = g.anchor.op
    red = 1
    for iv in getattr(op, "reduce_axis", ()):
        red *= iv.extent
    if red == 1:  # the anchor may be a copy stage after a reduction stage (e.g. bias folded in)
        todo = list(op.input_tensors) if hasattr(op, "input_tensors") else []
        for t in todo:
            for iv in getattr(t.op, "reduce_axis", ()):
                red *= iv.extent
    return 2.0 * int(np.prod(g.anchor.shape)) * red


class _Compiler:
    def __init__(self, num_threads, best=None, backends=()):
        self.num_threads = num_threads
        self.best = best  # autotvm.ApplyHistoryBest: tuned schedules for the groups it knows
        self.backends = {b.name: b for b in backends}  # external backends (BYOC), by name
        self.tuned = 0
        self.cache: dict = {}
        self.slots: list = []
        self.steps: list = []
        self.consts: dict = {}
        self.where: dict = {}  # node id -> slot index or list of slot indices (tuples)

    def slot(self, shape, dtype, kind, name="", border=(), view_of=None) -> int:
        self.slots.append(SlotSpec(tuple(shape), dtype, kind, name, tuple(border), view_of))
        return len(self.slots) - 1

    def kernel(self, fn: Function, index: int, strides: dict | None = None):
        """The kernel of group ``fn``; ``strides``: parameter/result position -> strides of a bordered value."""
        strides = strides or {}
        key = (function_str(fn, "@g"), tuple(sorted(strides.items())))
        hit = self.cache.get(key)
        if hit is None:
            g = group_to_te(fn)
            s, task = None, None
            if hasattr(self.best, "choose"):
                s, task = self.best.choose(g)
            elif self.best is not None:
                s = self.best.schedule_group(g)
            self.tuned += s is not None
            s = s if s is not None else default_schedule(g)
            name = f"{fn.name}_{len(self.cache)}"
            try:
                kernel = build_kernel(lower(s, g.inputs + g.outputs, name=name, strides=strides),
                                      num_threads=self.num_threads)
            except Exception as e:  # name the group: the user sees which part of the model failed
                raise CodegenError(f"compiling fused group {fn.name} ({', '.join(g.ops)}): {e}") from e
            hit = self.cache[key] = (kernel, tuple(g.ops), _flops(g), task)
        return hit

    def value(self, n):
        return self.where[id(n)]

    def external(self, n: Call) -> None:
        """A call of a partitioned function: a step run by its external backend."""
        from .byoc.backends.base import ExternalBackendError, Partition
        from .byoc.runtime import ExternalKernel
        fn = n.op
        name, compiler = fn.attrs.get("global_symbol", fn.name), fn.attrs["Compiler"]
        backend = self.backends.get(compiler)
        if backend is None:
            raise ExternalBackendError(f"compile: partition {name} is for backend {compiler!r}, which was not given; "
                                       f"pass it in backends= (given: {', '.join(self.backends) or 'none'})")
        part = Partition(name, fn)
        try:
            runner = backend.build(part)
        except ExternalBackendError:
            raise
        except Exception as e:
            raise ExternalBackendError(f"backend {compiler!r} could not build partition {name} "
                                       f"({', '.join(part.ops)}): {type(e).__name__}: {e}") from e
        if not callable(runner):
            raise ExternalBackendError(f"backend {compiler!r}: build() of partition {name} returned "
                                       f"{type(runner).__name__}, not a callable")
        kernel = ExternalKernel(part, backend, runner)
        ins = []
        for a in n.args:
            v = self.value(a)
            ins.extend(v if isinstance(v, list) else [v])
        types = n.type.fields if hasattr(n.type, "fields") else (n.type,)
        outs = [self.slot(t.shape, t.dtype, "temp") for t in types]
        self.steps.append(Step(name, kernel, tuple(ins), tuple(outs), tuple(part.ops), None, compiler))
        self.where[id(n)] = outs if hasattr(n.type, "fields") else outs[0]

    def padded_view(self, n: Call) -> None:
        """``nn.padded_view`` of a value stored with that border: a view of its storage, no step."""
        src = self.value(n.args[0])
        spec = self.slots[src] if isinstance(src, int) else None
        if spec is None or spec.border != tuple(n.attrs["padding"]) or id(n) in self.results:
            # not stored bordered (e.g. a hand-built graph): an ordinary zero-pad kernel
            p = Var("p0", n.args[0].type)
            group = Function((p,), call(n.op, p, **dict(n.attrs)), Attrs({"Primitive": 1}), "padded_view")
            strides = {0: spec.strides} if spec is not None and spec.border else {}
            kernel, ops, flops, task = self.kernel(group, len(self.steps), strides)
            out = self.slot(n.type.shape, n.type.dtype, "temp")
            self.steps.append(Step(kernel.name, kernel, (src,), (out,), ops, flops, task=task))
            self.where[id(n)] = out
            return
        self.where[id(n)] = self.slot(n.type.shape, n.type.dtype, "temp", view_of=src)

    def group(self, n: Call) -> None:
        """A call of a fused group: one kernel step (its bordered inputs and results seen through strides)."""
        types = n.type.fields if hasattr(n.type, "fields") else (n.type,)
        if all(t.size == 0 for t in types):  # empty outputs: nothing to compute
            outs = [self.slot(t.shape, t.dtype, "temp") for t in types]
            self.where[id(n)] = outs if hasattr(n.type, "fields") else outs[0]
            return
        ins = []
        for a in n.args:
            v = self.value(a)
            ins.extend(v if isinstance(v, list) else [v])
        border = self.bordered.get(id(n), ())
        outs = [self.slot(t.shape, t.dtype, "temp", border=border) for t in types]
        strides = {k: self.slots[s].strides for k, s in enumerate(ins + outs) if self.slots[s].border}
        kernel, ops, flops, task = self.kernel(n.op, len(self.steps), strides)
        self.steps.append(Step(kernel.name, kernel, tuple(ins), tuple(outs), ops, flops, task=task))
        self.where[id(n)] = outs if hasattr(n.type, "fields") else outs[0]

    def plan_borders(self, body) -> None:
        """Which group results are stored inside a zero border: those an ``nn.padded_view`` reads, when
        they are single tensor results of Workbench groups, read only by Workbench groups and views, and
        not results of the model (the other views become zero-pad kernels)."""
        results = self.results = {id(f) for f in getattr(body, "fields", ())} | {id(body)}
        self.bordered: dict = {}
        uses = users(body)
        for n in post_order(body):
            if not _is_view(n) or id(n) in results:
                continue
            a, padding = n.args[0], tuple(n.attrs["padding"])
            if (is_kernel_call(a) and not hasattr(a.type, "fields") and id(a) not in results
                    and all(is_kernel_call(u) or _is_view(u) for u in uses.get(id(a), []))
                    and self.bordered.get(id(a), padding) == padding):
                self.bordered[id(a)] = padding

    def run(self, fn: Function) -> Executable:
        self.plan_borders(fn.body)
        for p in fn.params:
            self.where[id(p)] = self.slot(p.type.shape, p.type.dtype, "input", p.name)
        for n in post_order(fn.body):
            if id(n) in self.where or isinstance(n, Function):
                continue
            if isinstance(n, Constant):
                s = self.slot(n.data.shape, n.data.dtype.name, "const", n.name)
                self.consts[s] = n.data
                self.where[id(n)] = s
            elif isinstance(n, Tuple):
                self.where[id(n)] = [self.value(f) for f in n.fields]
            elif isinstance(n, TupleGetItem):
                self.where[id(n)] = self.value(n.tuple_value)[n.index]
            elif isinstance(n, Call) and isinstance(n.op, Function) and "Compiler" in n.op.attrs:
                self.external(n)
            elif _is_view(n):
                self.padded_view(n)
            elif isinstance(n, Call):
                if not isinstance(n.op, Function):
                    raise CodegenError(f"compile: operator {n.op.name} is not in a fused group; run fuse_ops first")
                self.group(n)
            elif isinstance(n, Var):
                raise CodegenError(f"compile: free variable {n.name}")
        result = self.value(fn.body)
        outputs = result if isinstance(result, list) else [result]
        for s in outputs:
            if self.slots[s].kind == "temp":
                self.slots[s] = SlotSpec(self.slots[s].shape, self.slots[s].dtype, "output")
        inputs = [self.where[id(p)] for p in fn.params]
        return Executable(self.slots, self.steps, inputs, outputs, self.consts, isinstance(result, list))


def compile(mod: Module, target: str = "llvm", ctx: PassContext | None = None,  # noqa: A001
            num_threads: int | None = None, records=None, backends=None) -> Executable:
    """Optimize (unless already fused) and compile a graph module for this machine.

    With ``records`` (a records path of AutoTVM and/or Ansor, or ``apply_history_best(path)``), fused groups
    whose task was tuned use the best config found; the others use their default schedule.

    With ``backends`` (``workbench.byoc`` backends, in priority order), the module is first partitioned
    (``byoc.partition_for``): each backend runs the parts its pattern table takes, Workbench compiles the
    rest. ``exe.partitioned`` keeps the partition (report, annotated module); ``exe.profile()`` shows which
    backend ran each step and the time spent at the boundaries.

    >>> exe = wb.compile(mod, records="resnet.jsonl"); out = exe.run(input=x); exe.profile(input=x)   # doctest: +SKIP
    >>> exe = wb.compile(mod, backends=[byoc.OnnxRuntimeBackend()]); exe.partitioned.report   # doctest: +SKIP
    """
    if target != "llvm":
        raise CodegenError(f"compile: unknown target {target!r}; available: llvm")
    if isinstance(mod, Function):
        mod = Module(mod)
    if not isinstance(mod, Module):
        raise CodegenError(f"compile: expected a graph Module (e.g. from_onnx(path)) or Function, "
                           f"got {type(mod).__name__}")
    t0 = time.perf_counter()
    partitioned = None
    if backends and not _is_fused(mod.main):  # a module partitioned (or fused) already is compiled as it is
        from .byoc import partition_for
        partitioned = partition_for(mod, backends, ctx)
        mod = partitioned.module
    elif not _is_fused(mod.main):
        mod = optimize(mod, ctx)
    best = None
    if records is not None:
        from .apply_records import apply_records
        best = apply_records(records)  # AutoTVM and Ansor records alike
    compiler = _Compiler(num_threads, best, list(backends or ()))
    exe = compiler.run(verify(mod).main)
    exe.tuned_kernels = compiler.tuned
    exe.compile_time = time.perf_counter() - t0
    exe.module = mod
    exe.partitioned = partitioned
    return exe
