"""Search tasks: one computation (te tensors, or a fused group of a model) to auto-schedule.

A ``SearchTask`` needs no template: only the compute definition. Its key is a hash of
the computation's canonical text, so the same fused subgraph found twice in a model, or
built again in another session, is the same task; records store it as task
``name`` with arguments ``[hash]``.

>>> from workbench import te
>>> A = te.placeholder((64, 64), name="A"); B = te.placeholder((64, 64), name="B")
>>> k = te.reduce_axis((0, 64), name="k")
>>> C = te.compute((64, 64), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
>>> t = SearchTask("matmul", [A, B], [C]); t.flop, len(t.sketches)
(524288.0, 2)
"""
from __future__ import annotations

from ..errors import ConfigError
from .analysis import ComputeDAG
from .program import Program
from .sketch import generate_sketches


class SearchTask:
    """A computation to auto-schedule: ``inputs`` (placeholders) and ``outputs`` (te tensors).

    ``baseline``: optional ``() -> Schedule`` of ``outputs``, what the computation gets untuned
    (``extract_tasks`` passes the fused group's default schedule); the tuner measures it first.
    """

    def __init__(self, name: str, inputs: list, outputs: list, dag: ComputeDAG | None = None, baseline=None):
        self.name = name
        self.baseline = baseline  # () -> Schedule of ``outputs`` used without tuning (measured first), or None
        self.dag = dag or ComputeDAG(inputs, outputs)
        self.inputs, self.outputs = list(self.dag.inputs), list(self.dag.outputs)
        self.args = (self.dag.key,)
        from ..tune.records import task_key
        self.key = task_key(name, self.args)
        self._sketches = None

    @property
    def flop(self) -> float:
        """Float operations of one run (every compute stage; GFLOPS = flop / seconds / 1e9)."""
        return self.dag.flop

    @property
    def sketches(self) -> list:
        """The sketches the derivation rules give for this task."""
        if self._sketches is None:
            self._sketches = generate_sketches(self.dag)
        return self._sketches

    def program(self, config: dict) -> Program:
        """The program of a records ``config`` (``{"sketch", "decisions", ...}``)."""
        if isinstance(config, dict) and config.get("sketch") == -1:
            from .program import BaselineProgram
            return BaselineProgram(self.dag, trace=config.get("trace", []))
        try:
            sk = self.sketches[int(config["sketch"])]
            return Program(sk, dict(config["decisions"]))
        except (KeyError, IndexError, TypeError, ValueError) as e:
            raise ConfigError(f"task {self.key}: config {str(config)[:120]} is not a program of this task "
                              f"({len(self.sketches)} sketches): {e}") from None

    def lower(self, program: Program, name: str | None = None):
        """The loop nest (``tir.PrimFunc``) of ``program``."""
        from ..lower import lower
        return lower(program.apply(), self.inputs + self.outputs, name or self.name)

    def reference(self, seed: int = 0):
        """Random inputs and the expected outputs every program must reproduce."""
        from ..tune.measure import Reference
        return Reference.from_tensors(self.inputs, self.outputs, seed=seed)

    def __repr__(self):
        return f"SearchTask({self.key}, {self.flop:.3g} flop, {len(self.sketches)} sketches)"

    def __eq__(self, other):
        return isinstance(other, SearchTask) and other.key == self.key

    def __hash__(self):
        return hash(self.key)
