"""A compiled model's step list as one native function: a run is one call from Python.

``Executable.run`` would otherwise call each kernel through ctypes, and on ResNet-18
(24 kernels) the Python loop, the argument lists and the GIL hand-offs cost about
0.1 ms of an 8 ms run. ``NativePlan`` emits a tiny LLVM function that calls every
kernel in order::

    void wb_plan(ptr* args) {          // args: the addresses that change per run
        kernel_0(<const addr>, args[0], <temp addr>);
        kernel_1(<temp addr>, <const addr>, args[1]);
        ...
    }

Addresses of weights and planned intermediates are fixed for the executable's
lifetime, so they are baked in as constants; inputs and outputs come from ``args``.
Before a kernel that writes a bordered value into a storage whose border is not zero
any more, the plan zeroes it (``llvm.memset`` of a few runs, ``Executable``).
Only Workbench's own kernels can be called this way: a plan with an external
(BYOC) step is not built and the executable keeps the Python loop.

>>> plan = NativePlan([(kernel_address, (("fixed", w_addr), ("arg", 0), ("arg", 1)))], n_args=2)  # doctest: +SKIP
>>> plan.run([x.ctypes.data, y.ctypes.data])                                                         # doctest: +SKIP
"""
from __future__ import annotations

import ctypes

from ..codegen.target import JitModule, host_target_machine

NAME = "wb_plan"


def plan_ir(calls, n_args: int, clears: dict | None = None) -> str:
    """LLVM IR text of the plan function for ``calls``: ``(function address, args)`` in order, each argument
    ``("fixed", address)`` or ``("arg", index into the per-run array)``. ``clears``: call index ->
    ``[(address, bytes)]`` zeroed before that call (the borders of bordered values, ``Executable``).

    >>> print(plan_ir([(4096, (("fixed", 64), ("arg", 0)))], 1).splitlines()[-3])
      call void %f0(ptr inttoptr (i64 64 to ptr), ptr %a0)
    >>> print(plan_ir([(4096, ())], 0, {0: [(128, 64)]}).splitlines()[-5])
      call void @llvm.memset.p0.i64(ptr inttoptr (i64 128 to ptr), i8 0, i64 64, i1 false)
    """
    tm = host_target_machine()
    lines = [f'target triple = "{tm.triple}"', f'target datalayout = "{tm.target_data}"', "",
             "declare void @llvm.memset.p0.i64(ptr nocapture writeonly, i8, i64, i1 immarg)", "",
             f"define void @{NAME}(ptr noalias nocapture readonly %args) nounwind {{", "entry:"]
    for i in range(n_args):
        lines.append(f"  %a{i}.p = getelementptr inbounds ptr, ptr %args, i64 {i}")
        lines.append(f"  %a{i} = load ptr, ptr %a{i}.p, align 8")
    for k, (address, args) in enumerate(calls):
        for start, n in (clears or {}).get(k, ()):
            lines.append(f"  call void @llvm.memset.p0.i64(ptr inttoptr (i64 {int(start)} to ptr), i8 0, "
                         f"i64 {int(n)}, i1 false)")
        ops = []
        for kind, value in args:
            if kind == "arg":
                if not 0 <= value < n_args:
                    raise ValueError(f"plan call {k}: argument index {value} outside 0..{n_args - 1}")
                ops.append(f"ptr %a{value}")
            elif kind == "fixed":
                ops.append(f"ptr inttoptr (i64 {int(value)} to ptr)")
            else:
                raise ValueError(f"plan call {k}: argument kind {kind!r} is not 'arg' or 'fixed'")
        lines.append(f"  %f{k} = inttoptr i64 {int(address)} to ptr")
        lines.append(f"  call void %f{k}({', '.join(ops)})")
    lines += ["  ret void", "}", ""]
    return "\n".join(lines)


class NativePlan:
    """The compiled plan; ``run(addresses)`` calls every kernel once, in order (the GIL is released)."""

    def __init__(self, calls, n_args: int, clears: dict | None = None):
        self.calls = len(calls)
        self.n_args = n_args
        self.llvm_ir = plan_ir(calls, n_args, clears)
        self._jit = JitModule(self.llvm_ir, opt_level=1)  # keeps the code alive
        self.compile_time = sum(self._jit.timings.values())
        self._fn = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(self._jit.function_address(NAME))
        self._array = ctypes.c_void_p * max(n_args, 1)

    def run(self, addresses) -> None:
        if len(addresses) != self.n_args:
            raise ValueError(f"the plan takes {self.n_args} addresses, got {len(addresses)}")
        array = self._array(*addresses)  # a name keeps it alive through the call
        self._fn(ctypes.addressof(array))

    def __repr__(self):
        return f"<NativePlan: {self.calls} kernel calls, {self.n_args} per-run addresses>"
