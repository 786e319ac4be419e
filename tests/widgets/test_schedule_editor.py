"""ScheduleEditor driven from Python: apply, illegal steps, undo/redo, export; the kernel it
times stays correct (checked against the numpy reference)."""
import numpy as np
import pytest

import workbench as wb
from workbench import te
from workbench.widgets import ScheduleEditor


def matmul(n=32):
    A = te.placeholder((n, n), name="A")
    B = te.placeholder((n, n), name="B")
    k = te.reduce_axis((0, n), name="k")
    C = te.compute((n, n), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
    return A, B, C


def test_apply_undo_redo_and_export():
    A, B, C = matmul()
    ed = ScheduleEditor([A, B, C])
    assert [h[0] for h in ed.history] == ["start"] and ed.history[0][3]
    ed.apply("cache_write", "C", scope="local")
    ed.apply("tile", "C", x="i", y="j", x_factor=8, y_factor=8)
    ed.apply("compute_at", "C.local", target="C", axis="j.outer")
    ed.apply("vectorize", "C.local", axis="j")
    assert ed.error is None and [s.kind for s in ed.steps] == ["cache_write", "tile", "compute_at", "vectorize"]
    assert len(ed.history) == 5 and all(ok for *_, ok in ed.history)  # every state computed the right result
    assert ed.history[-1][2] > 0 and list(ed.figure.data[0].y) == [h[2] for h in ed.history]
    assert "vectorized" in ed._nest.value and "C.local" in ed._nest.value
    ed.undo()
    assert [s.kind for s in ed.steps][-1] == "compute_at" and "vectorized" not in ed._nest.value
    assert not ed._redo_btn.disabled
    ed.redo()
    assert ed.steps[-1].kind == "vectorize" and ed._redo_btn.disabled
    code = ed.export_python()
    assert "s[C_local].vectorize(j)" in code and code.startswith("s = te.create_schedule(C.op)")
    # the exported trace redoes the same loop nest
    s2 = te.create_schedule(C.op).replay(ed.trace_json())
    assert str(wb.lower(s2, [A, B, C])) == str(ed.lowered())


def test_illegal_step_changes_nothing_and_says_why():
    A, B, C = matmul()
    ed = ScheduleEditor([A, B, C], measure=False)
    ed.apply("split", "C", axis="k", factor=4)
    before = str(ed.lowered())
    for kind, args in [("vectorize", {"axis": "k.inner"}), ("split", {"axis": "i", "factor": 0}),
                       ("fuse", {"axes": ["i", "k.outer"]}), ("compute_inline", {})]:
        ed.apply(kind, "C", **args)
        assert ed.error and len(ed.steps) == 1 and str(ed.lowered()) == before, kind
        assert "nothing changed" in ed._error.value
    assert "reduction" in ed.apply("vectorize", "C", axis="k.inner").error
    ed.apply("nonsense", "C")
    assert "unknown primitive" in ed.error
    ed.apply("split", "C", axis="i", factor=8)  # a legal step clears the error
    assert ed.error is None and ed._error.value == "" and len(ed.steps) == 2


def test_undo_without_steps_is_harmless():
    A, B, C = matmul(8)
    ed = ScheduleEditor([A, B, C], measure=False)
    assert ed.undo().redo().steps == []


def test_ui_controls_drive_the_editor():
    A, B, C = matmul()
    ed = ScheduleEditor([A, B, C], measure=False)
    ed._stage.value = "C"
    ed._prim.value = "split"
    assert ed._fields["axis"].options == ("i", "j", "k")
    ed._fields["axis"].value = "j"
    ed._fields["factor"].value = 8
    ed._apply_btn.click()
    assert ed.steps[-1].args["axis"] == "j" and ed.steps[-1].args["factor"] == 8
    assert "j.inner" in ed._fields["axis"].options
    ed._prim.value = "reorder"
    ed._fields["axes"].value = "j.outer, i"
    ed._apply_btn.click()
    assert ed.error is None and ed.steps[-1].kind == "reorder"
    ed._undo_btn.click()
    assert ed.steps[-1].kind == "split"
    ed._export_btn.click()
    assert "s[C].split(j, factor=8)" in ed._code.value


def test_reference_check_catches_a_wrong_kernel():
    A, B, C = matmul(8)
    ed = ScheduleEditor([A, B, C])
    arrays = ed._arrays()
    arrays[-1][:] = 0.0
    assert not ed._check(arrays)
    wb.build(ed.schedule, [A, B, C])(*arrays)
    assert ed._check(arrays)
    np.testing.assert_allclose(arrays[-1], ed._inputs[A] @ ed._inputs[B], rtol=1e-4, atol=1e-5)


def test_bad_input():
    with pytest.raises(wb.WorkbenchError, match="ScheduleEditor"):
        ScheduleEditor([])


def test_compute_at_offers_the_target_stage_axes():
    A, B, C = matmul(16)
    ed = ScheduleEditor([A, B, C], measure=False)
    ed.apply("cache_write", "C", scope="local")
    ed.apply("split", "C", axis="i", factor=4)
    ed._stage.value = "C.local"
    ed._prim.value = "compute_at"
    assert ed._fields["target"].value == "C"
    assert ed._fields["axis"].options == ("i.outer", "i.inner", "j")
    ed._fields["axis"].value = "i.outer"
    ed._apply_btn.click()
    assert ed.error is None and ed.steps[-1].args == {"target": "C", "axis": "i.outer"}
