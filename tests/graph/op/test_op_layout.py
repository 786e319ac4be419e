"""nn.padded_view: a zero border around H and W, for NCHW and NCHW16c data; its type errors."""
import numpy as np
import pytest
from opcheck import check_op

from workbench.errors import TypeCheckError
from workbench.graph import ops
from workbench.graph.expr import call


@pytest.mark.parametrize("shape,padding", [((1, 3, 5, 4), (1, 1, 1, 1)), ((2, 2, 3, 3, 16), (0, 2, 1, 0)),
                                           ((1, 1, 1, 1, 16), (3, 0, 0, 3))])
def test_padded_view_pads_h_and_w_with_zeros(shape, padding):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    out = check_op("nn.padded_view", [x], {"padding": padding})
    top, left, bottom, right = padding
    assert out.shape[2:4] == (shape[2] + top + bottom, shape[3] + left + right)
    np.testing.assert_array_equal(out[:, :, top:top + shape[2], left:left + shape[3]], x)
    assert out.sum() == pytest.approx(x.sum(), rel=1e-5)


@pytest.mark.parametrize("shape,padding,match", [((4, 4), (1, 1, 1, 1), "rank 4"),
                                                 ((1, 2, 3, 3), (1, 1, 1), "4 ints"),
                                                 ((1, 2, 3, 3), (1, -1, 1, 1), ">= 0")])
def test_padded_view_type_errors_name_the_problem(shape, padding, match):
    with pytest.raises(TypeCheckError, match=match):
        call("nn.padded_view", ops.var("x", shape), padding=padding)
