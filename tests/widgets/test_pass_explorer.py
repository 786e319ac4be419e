"""PassExplorer driven from Python: stepping moves through the recorded passes, the panes and
the fusion reasons follow."""
import pytest

from workbench.datasets import generator
from workbench.errors import WorkbenchError
from workbench.frontend import from_onnx
from workbench.graph.passes import optimize
from workbench.graph.passes.pipeline import DEFAULT_PIPELINE
from workbench.widgets import PassExplorer
from workbench.widgets.pass_explorer import fusion_reasons


@pytest.fixture(scope="module")
def resnet():
    return from_onnx(str(generator().model_path("resnet18", image=64)))


def test_steps_through_every_pass(resnet):
    ex = PassExplorer(resnet)
    names = [p.name for p in DEFAULT_PIPELINE]
    seen = [ex.record.name]
    while ex.index < len(names) - 1:
        seen.append(ex.next().record.name)
    assert seen == names
    assert ex.next().index == len(names) - 1  # clamped at the end
    assert ex._next.disabled and not ex._prev.disabled
    assert ex.prev().record.name == names[-2]
    assert ex.goto(0).index == 0 and ex._prev.disabled
    assert ex._pick.value == 0


def test_panes_show_the_current_pass(resnet):
    ex = PassExplorer(resnet).goto(len(DEFAULT_PIPELINE) - 1)  # fuse_ops
    assert ex.record.name == "fuse_ops"
    assert "after fuse_ops" in ex._after.value and "before fuse_ops" in ex._before.value
    assert ex.diff.merged > 0 and "merged into fused groups" in ex._summary.value
    assert "+++ after fuse_ops" in ex._text.value
    # the dropdown drives the explorer too, as a click in the browser would
    ex._pick.value = 1
    assert ex.index == 1 and ex.record.name == DEFAULT_PIPELINE[1].name


def test_fusion_reasons_explain_each_group(resnet):
    ex = PassExplorer(resnet).goto(len(DEFAULT_PIPELINE) - 1)
    reasons = ex.reasons()
    assert reasons == fusion_reasons(optimize(resnet))
    conv = [r for r in reasons if r[1][0] == "nn.conv2d"]
    assert conv and all("heavy op absorbs" in why for _, _, why in conv)
    assert all(name in ex._why.value for name, _, _ in reasons)


def test_bad_input():
    with pytest.raises(WorkbenchError, match="graph Module"):
        PassExplorer("model.onnx")
