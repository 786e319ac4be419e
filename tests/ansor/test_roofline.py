"""The roofline estimate ranks what a performance engineer would: blocking, spills, vector widths, threads."""
import pytest

import workbench as wb
from workbench import te
from workbench.ansor import Program, SearchTask
from workbench.ansor.roofline import caches, estimate_cycles

from . import dags


def matmul(n: int, rows: int, cols: int, parallel: bool = True, cache: bool = False):
    """An ``n``-cubed matmul with a ``rows x cols`` register block (vectorized over ``cols``), scheduled by hand."""
    A, B = te.placeholder((n, n), name="A"), te.placeholder((n, n), name="B")
    k = te.reduce_axis((0, n), name="k")
    C = te.compute((n, n), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
    s = te.create_schedule(C.op)
    acc = s.cache_write(C, "local") if cache else C
    i, j = s[C].op.axis
    io, ii = s[C].split(i, factor=rows)
    jo, ji = s[C].split(j, factor=cols)
    s[C].reorder(io, jo, ii, ji)
    if cache:
        s[acc].compute_at(s[C], jo)
        ii, ji = s[acc].op.axis
        s[acc].reorder(s[acc].op.reduce_axis[0], ii, ji)
    else:
        s[C].reorder(io, jo, C.op.reduce_axis[0], ii, ji)
    s[acc].unroll(ii)
    s[acc].vectorize(ji)
    if parallel:
        s[C].parallel(io)
    return wb.lower(s, [A, B, C])


def test_a_register_block_of_sixteen_accumulators_beats_one_that_spills():
    fits, spills = matmul(256, 4, 64), matmul(256, 8, 64)       # 16 vector accumulators vs 32
    assert estimate_cycles(spills, threads=2) > 1.5 * estimate_cycles(fits, threads=2)


def test_an_odd_wide_vector_costs_more_than_whole_registers():
    whole, odd = matmul(224, 4, 32), matmul(224, 4, 56)          # 56 lanes: built element by element
    assert estimate_cycles(odd, threads=2) > 1.5 * estimate_cycles(whole, threads=2)


@pytest.mark.parametrize("datapath", [16, 8])
def test_rows_of_eight_cost_as_much_per_lane_as_whole_registers_only_on_half_width_units(monkeypatch, datapath):
    """On 512-bit units a row of 8 idles half of every multiply-add; where a 512-bit instruction issues as two
    256-bit halves (Zen 4) it costs half an instruction and idles nothing."""
    monkeypatch.setenv("WORKBENCH_DATAPATH_LANES", str(datapath))
    eight, sixteen = (estimate_cycles(matmul(256, 4 * 16 // cols, cols), threads=2) for cols in (8, 16))
    if datapath == 16:
        assert eight > 1.5 * sixteen
    else:
        assert eight == pytest.approx(sixteen, rel=0.2)


def test_threads_divide_the_parallel_loop_with_its_imbalance():
    f = matmul(256, 4, 64)                                       # 64 parallel rows of blocks
    one, two, three = (estimate_cycles(f, threads=t) for t in (1, 2, 3))
    assert two == pytest.approx(one / 2)
    assert three == pytest.approx(one / (64 / 22))               # 64 chunks on 3 threads: the last gets 22
    serial = matmul(256, 4, 64, parallel=False)
    assert estimate_cycles(serial, threads=2) == pytest.approx(one)


def test_accumulating_in_the_output_costs_more_than_in_a_local_block():
    direct, local = matmul(256, 4, 64), matmul(256, 4, 64, cache=True)
    assert estimate_cycles(direct, threads=2) > estimate_cycles(local, threads=2)


def test_cache_levels_are_read_from_the_machine_largest_last():
    levels = caches()
    assert 1 <= len(levels) <= 3
    sizes = [c for c, _ in levels]
    assert sizes == sorted(sizes) and sizes[0] >= 8 << 10


def test_llvm_vectorizes_a_serial_loop_over_contiguous_data_and_not_a_strided_one():
    x = te.placeholder((512, 512), name="x")
    j = te.reduce_axis((0, 512), name="j")
    rows = te.compute((512,), lambda i: te.sum(x[i, j] * x[i, j], axis=j), name="rows")   # j contiguous
    cols = te.compute((512,), lambda i: te.sum(x[j, i] * x[j, i], axis=j), name="cols")   # j strided
    along, across = (estimate_cycles(wb.lower(te.create_schedule(t.op), [x, t]), threads=1) for t in (rows, cols))
    assert across > 4 * along


def test_an_rfactor_whose_fused_index_goes_through_div_and_mod_ranks_below_the_plain_reduction():
    # measured on the suite's 1024 x 1024 norm: the plain loop 27 GFLOPS (LLVM vectorizes it), the rfactors 5-11
    task = SearchTask("norm", *dags.norm(1024, 1024))
    rf = next(sk for sk in task.sketches if any("rfactor" in r for r in sk.rules))
    plain = next(sk for sk in task.sketches if not sk.rules)
    stages = {st: {"par": 0, "vec": 1, "unroll": 0} for st in plain.plans}
    cycles = estimate_cycles(task.lower(Program(plain, stages)), threads=1)
    for factor in (16, 64):
        for part in ("inner", "outer"):
            prog = Program(rf, {**stages, "sumsq": {"rf": [factor, part]}})
            assert estimate_cycles(task.lower(prog), threads=1) > 1.5 * cycles, (factor, part)


def test_a_thread_count_below_one_is_refused_by_name():
    f = matmul(64, 4, 16)
    for bad in (0, -2, 1.5):
        with pytest.raises(ValueError, match=r"threads must be a positive integer.*got"):
            estimate_cycles(f, threads=bad)
