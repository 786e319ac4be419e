"""Rich display: each compiler object's MIME bundle has plain text and pictures that parse,
and the engine does not import the views until a notebook asks."""
import shutil
import subprocess
import sys

import numpy as np
import pytest

import workbench as wb
from workbench import te
from workbench.graph.passes import optimize
from workbench.tune.callbacks import History
from workbench.viz.display import PLOTLY_MIME, display_bundle

from viewcheck import dataset_module, parse_xml


def test_engine_does_not_import_viz_or_widgets():
    code = ("import sys, workbench, workbench.graph, workbench.tune, workbench.runtime; "
            "bad = [m for m in sys.modules if m.startswith(('workbench.viz', 'workbench.widgets'))]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_module_bundle_has_svg():
    mod = optimize(dataset_module("mlp"))
    b = mod._repr_mimebundle_()
    assert b["text/plain"] == repr(mod)
    assert b["image/svg+xml"].startswith("<svg")
    parse_xml(b["image/svg+xml"])
    parse_xml(b["text/html"])


def test_lowered_function_and_kernel_bundles():
    A = te.placeholder((8, 8), name="A")
    B = te.compute((8, 8), lambda i, j: A[i, j] + 1.0, name="B")
    s = te.create_schedule(B.op)
    s[B].vectorize(B.op.axis[1])
    f = wb.lower(s, [A, B])
    b = f._repr_mimebundle_()
    assert b["text/plain"] == str(f) and "vectorized" in b["text/html"]
    parse_xml(b["text/html"])
    k = wb.build(s, [A, B])
    kb = k._repr_mimebundle_()
    assert kb["text/plain"] == repr(k) and "Kernel" in kb["text/html"]
    parse_xml(kb["text/html"])


def test_history_bundle_has_static_and_interactive_charts():
    h = History()
    h.add_batch([0, 1, 2], [1.0, 0.0, 3.0], ["ok", "runtime", "ok"], [0.2, 0.1, 0.5])
    b = h._repr_mimebundle_()
    assert b["text/plain"] == repr(h)
    parse_xml(b["image/svg+xml"])
    assert PLOTLY_MIME in b and b[PLOTLY_MIME]["data"]


def test_profile_bundle():
    exe = wb.compile(optimize(dataset_module("mlp")))
    x = np.random.default_rng(0).standard_normal(exe.slots[exe.input_slots[0]].shape).astype("float32")
    p = exe.profile(repeat=2, **{exe.input_names[0]: x})
    b = p._repr_mimebundle_()
    assert b["text/plain"] == repr(p)
    parse_xml(b["text/html"])
    assert all(r.name in b["text/html"] for r in p.rows)


def test_unknown_objects_get_plain_text():
    assert display_bundle(3) == {"text/plain": "3"}
