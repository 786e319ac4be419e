"""Every sampled, mutated or crossed-over program compiles and computes what the DAG defines."""
import json
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.ansor import SearchTask, crossover, mutate, sample_program
from workbench.ansor.program import factorizations
from workbench.lower import lower
from workbench.schedule import create_schedule
from workbench.tune.measure import Reference

from . import dags

TASKS = {name: SearchTask(name, *fn()) for name, fn in dags.ALL.items()}
REFS = {name: Reference.from_tensors(t.inputs, t.outputs, seed=3) for name, t in TASKS.items()}


def check(task, ref, prog):
    s = prog.apply()
    kernel = wb.build(s, task.inputs + task.outputs)
    outs = [np.full(e.shape, np.nan, e.dtype) for e in ref.expected]
    kernel(*[a.copy() for a in ref.inputs], *outs)
    for got, want in zip(outs, ref.expected):
        np.testing.assert_allclose(got, want, rtol=ref.rtol, atol=ref.atol,
                                   err_msg=f"{task.name}: {prog}\n{s.trace}")


def sampled_and_mutated(name, seed):
    task, ref, rng = TASKS[name], REFS[name], random.Random(seed)
    prog = sample_program(rng.choice(task.sketches), rng)
    check(task, ref, prog)
    for _ in range(3):
        child = mutate(prog, rng)
        if child is not None:
            check(task, ref, child)
            prog = child
    other = sample_program(prog.sketch, rng)
    child = crossover(prog, other, rng)
    assert child is not None and child.sketch is prog.sketch
    check(task, ref, child)


@pytest.mark.parametrize("name", sorted(TASKS))
@settings(max_examples=3)
@given(seed=st.integers(0, 2 ** 31 - 1))
def test_sampled_and_mutated_programs_match_the_reference(name, seed):
    sampled_and_mutated(name, seed)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TASKS))
@settings(max_examples=40)
@given(seed=st.integers(0, 2 ** 31 - 1))
def test_many_sampled_and_mutated_programs_match_the_reference(name, seed):
    sampled_and_mutated(name, seed)


def test_program_trace_replays_to_the_same_loop_nest():
    task, rng = TASKS["conv2d"], random.Random(5)
    prog = sample_program(task.sketches[0], rng)
    cfg = json.loads(json.dumps(prog.to_json()))           # through JSON, as the records keep it
    replayed = create_schedule([t.op for t in task.outputs]).replay(cfg["trace"])
    args = task.inputs + task.outputs
    assert str(lower(replayed, args)) == str(lower(prog.apply(), args))
    assert str(task.program(cfg).apply().trace) == str(prog.apply().trace)
    assert "compute_at" in str(prog.apply().trace)          # the trace prints as schedule Python


def test_factorizations_are_exact_and_bounded():
    for extent in (1, 7, 56, 64, 1000):
        fs = factorizations(extent, 3)
        assert fs and all(extent % (a * b * c) == 0 and c <= 64 for a, b, c in fs)
    assert (1, 1, 7) in factorizations(56, 3) and (2, 4, 7) in factorizations(56, 3)


def test_mutations_keep_tile_products_dividing_the_extent():
    task, rng = TASKS["matmul"], random.Random(0)
    prog = sample_program(task.sketches[1], rng)
    for _ in range(200):
        child = mutate(prog, rng)
        if child is None:
            continue
        for axis, f in child.decisions["C.local"]["tile"].items():
            extent = {"i": 64, "j": 48, "k": 32}[axis]
            assert extent % int(np.prod(f)) == 0
        prog = child


def test_a_config_of_another_task_is_refused_by_name():
    from workbench.errors import ConfigError
    task = TASKS["matmul"]
    with pytest.raises(ConfigError, match="matmul.*not a program of this task"):
        task.program({"sketch": 7, "decisions": {}})
    with pytest.raises(ConfigError, match="not a program"):
        task.program({"decisions": {}})


def test_decisions_naming_an_unknown_location_are_refused():
    from workbench.errors import ScheduleError
    task, rng = TASKS["conv2d"], random.Random(0)
    prog = sample_program(task.sketches[0], rng)
    prog.decisions["pad"]["loc"] = "relu_nowhere"
    with pytest.raises(ScheduleError, match='cannot be placed inside "relu_nowhere"'):
        prog.apply()


@pytest.mark.parametrize("datapath", [16, 8])
def test_register_blocks_fit_the_register_file_and_fill_the_vector(datapath):
    from workbench.ansor.program import ACC_REGISTERS, VECTOR_LANES, register_blocks
    def blocks_of(extents):
        return register_blocks(extents, datapath=datapath)
    for extents in ([1, 64, 56, 56], [512, 512], [1, 128, 28, 28], [7, 3]):
        blocks = blocks_of(extents)
        assert blocks
        for b in blocks:
            assert all(e % f == 0 for e, f in zip(extents, b))
            regs = int(np.prod(b[:-1])) * -(-b[-1] // VECTOR_LANES)
            assert regs <= ACC_REGISTERS or b == tuple([1] * (len(b) - 1)) + (b[-1],)
    assert (1, 8, 2, 14) in blocks_of([1, 64, 56, 56])      # 16 accumulators of 14 lanes
    assert blocks_of([7, 3]) == [(7, 3)]      # a 3-wide axis: its whole width, 7 rows to keep 7 registers busy
    if datapath == 16:   # 3/4 of 16 lanes busy or more
        assert {b[-1] for b in blocks_of([1, 64, 56, 56])} == {14, 28, 56}
        assert {b[-1] for b in blocks_of([512, 512])} == {16, 32, 64}
    else:                # units of 8 lanes (Zen 4): a row of 8 issues once and idles nothing
        assert {b[-1] for b in blocks_of([1, 64, 56, 56])} == {8, 14, 28, 56}
        assert (1, 4, 4, 8) in blocks_of([1, 64, 56, 56])
        assert {b[-1] for b in blocks_of([512, 512])} == {8, 16, 32, 64}


def test_the_vector_units_width_comes_from_the_machine_or_the_environment(monkeypatch):
    from workbench.codegen.target import datapath_lanes
    from workbench.errors import CodegenError
    monkeypatch.delenv("WORKBENCH_DATAPATH_LANES", raising=False)
    assert datapath_lanes() in (4, 8, 16)
    monkeypatch.setenv("WORKBENCH_DATAPATH_LANES", "8")
    assert datapath_lanes() == 8
    monkeypatch.setenv("WORKBENCH_DATAPATH_LANES", "12")
    with pytest.raises(CodegenError, match="WORKBENCH_DATAPATH_LANES must be 4, 8 or 16"):
        datapath_lanes()


def test_most_sampled_tilings_hold_a_register_block():
    from workbench.ansor.program import register_blocks
    task, rng = TASKS["conv2d"], random.Random(0)
    sk = next(s for s in task.sketches if any(p.kind == "tile" for p in s.plans.values()))
    name = next(n for n, p in sk.plans.items() if p.kind == "tile")
    src = name[:-len(".local")] if sk.plans[name].cache else name
    blocks = set(register_blocks(task.dag[src].spatial))
    hits = 0
    for _ in range(200):
        tiles = sample_program(sk, rng).decisions[name]["tile"]
        hits += tuple(tiles[iv.name][-1] for iv in task.dag.op(src).axis) in blocks
    assert 120 <= hits < 200       # the prior (75%) plus uniform draws that happen to fit


def test_the_blocked_lanes_of_a_packed_conv_stay_whole_and_innermost():
    task, rng = TASKS["conv2d_packed"], random.Random(11)
    lanes_axis = task.dag.op("conv2d_packed").axis[-1].name
    for _ in range(30):
        prog = sample_program(task.sketches[0], rng)
        for _ in range(4):
            prog = mutate(prog, rng) or prog
            assert prog.decisions["conv2d_packed"]["tile"][lanes_axis] == [1, 1, 16]


@pytest.mark.parametrize("name", ["conv2d", "matmul", "conv2d_packed", "conv2d_blocked"])
def test_threads_split_the_leading_axis_in_every_sampled_and_mutated_program(monkeypatch, name):
    """As the default schedules do, so a kernel finds the data it reads in its own core's cache."""
    monkeypatch.setenv("WORKBENCH_NUM_THREADS", "2")
    task, rng = TASKS[name], random.Random(3)
    for _ in range(20):
        prog = sample_program(rng.choice(task.sketches), rng)
        for _ in range(4):
            prog = mutate(prog, rng) or prog
            for stage, d in prog.decisions.items():
                if "tile" not in d:
                    continue
                src = stage[:-len(".local")] if stage.endswith(".local") else stage
                op = task.dag.op(src)
                lead = next(iv for iv in op.axis if int(iv.extent) > 1)
                if task.dag[src].rows_first:
                    lead = op.axis[2]
                assert (int(lead.extent) // math.prod(d["tile"][lead.name])) % 2 == 0, (stage, d["tile"])


def test_an_nchw16c_conv_that_splits_rows_by_default_splits_rows_in_every_program():
    """Its rows lead the parallel loop (and its pad's, where the pad is stored whole), as in its default
    schedule, so the kernels around it in a model keep their rows on the core that wrote them."""
    task, rng = TASKS["conv2d_blocked"], random.Random(5)
    assert task.dag["conv2d_packed"].rows_first and task.dag["pad"].rows_first
    seen = 0
    for _ in range(12):
        prog = sample_program(rng.choice(task.sketches), rng)
        text = str(lower(prog.apply(), task.inputs + task.outputs, "k"))
        for line in text.splitlines():
            if "in parallel(" not in line:
                continue
            names = line.split()[1].split(".")       # e.g. i0.outer.outer.i2.outer.outer.i1.outer.outer...
            rows = [k for k, n in enumerate(names) if n in ("i2", "y")]
            chans = [k for k, n in enumerate(names) if n in ("i1", "fo")]
            if rows and chans:
                assert rows[0] < chans[0], line
                seen += 1
    assert seen


def test_a_blocked_max_pool_splits_rows_like_its_default_schedule():
    from workbench import te, topi
    x = te.placeholder((1, 2, 16, 16, 16), name="x")
    task = SearchTask("pool", [x], [topi.max_pool2d(x, kernel=3, stride=2, padding=1)])
    assert task.dag["max_pool2d"].rows_first
    g = SearchTask("gap", [x], [topi.global_avg_pool2d(x)])
    assert not any(i.rows_first for i in g.dag.infos.values())
    rng = random.Random(2)
    for _ in range(6):
        prog = sample_program(rng.choice(task.sketches), rng)
        check(task, Reference.from_tensors(task.inputs, task.outputs, seed=1), prog)


def test_a_register_block_mutation_jumps_to_another_block_with_the_rest_dividing():
    from workbench.ansor.evolution import mutate_block
    from workbench.ansor.program import register_blocks
    task, ref, rng = TASKS["matmul"], REFS["matmul"], random.Random(1)
    allowed = set(register_blocks([64, 48]))
    moved = 0
    for _ in range(20):
        prog = sample_program(task.sketches[1], rng)
        child = mutate_block(prog, rng)
        if child is None:
            continue
        tiles, before = child.decisions["C.local"]["tile"], prog.decisions["C.local"]["tile"]
        block = (tiles["i"][-1], tiles["j"][-1])
        assert block in allowed and block != (before["i"][-1], before["j"][-1])
        assert all(e % math.prod(tiles[a]) == 0 for a, e in (("i", 64), ("j", 48)))
        assert tiles["k"] == before["k"]
        moved += 1
        last = child
    assert moved >= 10
    check(task, ref, last)


def test_a_stage_at_the_root_always_runs_its_outer_loops_in_parallel():
    """A conv's pad at the root: only how many outer loops are fused varies (1-3), never a serial copy."""
    from workbench.ansor.evolution import MUTATIONS
    task = SearchTask("conv", *dags.conv2d(c=16, f=16, hw=14))
    rng = random.Random(0)
    seen = set()
    for _ in range(60):
        prog = sample_program(rng.choice(task.sketches), rng)
        for _ in range(4):
            child = MUTATIONS["parallel"](prog, rng)
            prog = child if child is not None else prog
        for stage, d in prog.decisions.items():
            if "par" in d and stage.startswith("pad"):
                seen.add(d["par"])
    assert seen == {1, 2, 3}
