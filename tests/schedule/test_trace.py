"""Traces: every primitive is recorded, prints as Python, round-trips through JSON and replays."""
import json

import pytest

from workbench import te
from workbench.errors import ScheduleError
from workbench.lower import lower
from workbench.schedule import Trace


def matmul_schedule(n=64):
    A = te.placeholder((n, n), name="A")
    B = te.placeholder((n, n), name="B")
    k = te.reduce_axis((0, n), name="k")
    C = te.compute((n, n), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
    s = te.create_schedule(C.op)
    CC = s.cache_write(C, "local")
    io, jo, ii, ji = s[C].tile(C.op.axis[0], C.op.axis[1], 8, 16)
    s[CC].compute_at(s[C], jo)
    ko, ki = s[CC].split(s[CC].op.reduce_axis[0], factor=4)
    x, y = s[CC].op.axis
    s[CC].reorder(ko, ki, x, y)
    s[CC].vectorize(y)
    s[CC].unroll(ki)
    s[C].vectorize(ji)
    s[C].parallel(io)
    s[C].pragma(io, "auto_unroll_max_step", 8)
    return s, [A, B, C]


def test_trace_prints_python():
    s, _ = matmul_schedule()
    text = str(s.trace)
    assert "C_local = s.cache_write(C, 'local')" in text
    assert "i_outer, j_outer, i_inner, j_inner = s[C].tile(i, j, x_factor=8, y_factor=16)" in text
    assert "s[C_local].compute_at(s[C], j_outer)" in text
    assert "s[C].pragma(i_outer, 'auto_unroll_max_step', 8)" in text
    assert len(s.trace) == 10


def test_json_round_trip_replays_to_same_loop_nest():
    s, args = matmul_schedule()
    data = s.trace.to_json()
    json.loads(data)  # plain JSON
    A, B, C = args
    fresh = te.create_schedule(C.op).replay(Trace.from_json(data))
    assert str(lower(fresh, args)) == str(lower(s, args))


def test_undo_and_fork():
    s, args = matmul_schedule()
    before = str(lower(s, args))
    u = s.undo()
    assert len(u.trace) == len(s.trace) - 1
    assert "auto_unroll_max_step" not in str(lower(u, args))
    assert str(lower(s, args)) == before  # the original is untouched
    f = s.fork()
    assert str(lower(f, args)) == before
    assert len(s.undo(100).trace) == 0


def test_malformed_trace_is_a_clear_error():
    with pytest.raises(ScheduleError, match="JSON list"):
        Trace.from_json('{"kind": "split"}')
    with pytest.raises(ScheduleError, match="malformed"):
        Trace.from_json('[{"stage": "C"}]')
    s, args = matmul_schedule()
    bad = Trace.from_json('[{"kind": "split", "stage": "C", "args": {"axis": "nope", "factor": 2}}]')
    with pytest.raises(ScheduleError, match="no axis named 'nope'"):
        te.create_schedule(args[2].op).replay(bad)
    with pytest.raises(ScheduleError, match="no stage named"):
        te.create_schedule(args[2].op).replay('[{"kind": "parallel", "stage": "Z", "args": {"axis": "i"}}]')
