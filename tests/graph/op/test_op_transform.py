"""Layout and indexing ops: type rules, numpy reference vs ONNX Runtime, te compute."""
import numpy as np
import pytest
from opcheck import check_op, infer, run_onnx

from workbench.errors import TypeCheckError
from workbench.graph.op import OPS, OpPattern
from workbench.graph.types import TensorType, TupleType

RNG = np.random.default_rng(3)


def rand(*shape, dtype="float32"):
    return RNG.standard_normal(shape).astype(dtype)


def i64(v):
    return np.array(v, "int64")


@pytest.mark.parametrize("shape,new", [((2, 3, 4), (6, 4)), ((2, 3, 4), (24,)), ((6,), (1, 2, 3, 1)),
                                       ((1, 4, 1, 3), (3, 4))])
def test_reshape(shape, new):
    x = rand(*shape)
    np.testing.assert_array_equal(check_op("reshape", [x], {"newshape": new}),
                                  run_onnx("Reshape", [x], constants=[i64(new)])[0])


@pytest.mark.parametrize("axes", [None, (0, 2, 1), (-1, 0, 1), (2, 1, 0)])
def test_transpose(axes):
    x = rand(2, 3, 4)
    attrs = {} if axes is None else {"perm": [a % 3 for a in axes]}
    np.testing.assert_array_equal(check_op("transpose", [x], {"axes": axes}), run_onnx("Transpose", [x], attrs)[0])


@pytest.mark.parametrize("axes", [None, (1,), (-1, 1), ()])
def test_squeeze(axes):
    x = rand(2, 1, 3, 1)
    consts = None if axes is None else [i64(axes)]
    want = x if axes == () else run_onnx("Squeeze", [x], constants=consts)[0]
    np.testing.assert_array_equal(check_op("squeeze", [x], {"axes": axes}), want)


@pytest.mark.parametrize("axis,num", [(0, 1), (1, 2), (2, 1), (-1, 1), (-3, 2), (2, 0)])
def test_expand_dims(axis, num):
    x = rand(2, 3)
    ref = check_op("expand_dims", [x], {"axis": axis, "num_newaxis": num})
    a = axis % 3
    want = run_onnx("Unsqueeze", [x], constants=[i64(list(range(a, a + num)))])[0] if num else x
    np.testing.assert_array_equal(ref, want)


@pytest.mark.parametrize("shapes,axis", [([(2, 3), (2, 5)], 1), ([(2, 3), (1, 3), (4, 3)], 0),
                                         ([(2, 2, 3), (2, 1, 3), (2, 2, 3)], -2), ([(3, 4)], 0)])
def test_concatenate(shapes, axis):
    xs = [rand(*s) for s in shapes]
    np.testing.assert_array_equal(check_op("concatenate", xs, {"axis": axis}),
                                  run_onnx("Concat", xs, {"axis": axis})[0])


@pytest.mark.parametrize("shape,indices,axis", [((6, 4), (2, 5), 0), ((2, 7), (3,), -1), ((2, 6, 3), 3, 1),
                                                ((4, 3), (), 0)])
def test_split(shape, indices, axis):
    x = rand(*shape)
    outs = check_op("split", [x], {"indices": indices, "axis": axis})
    n = shape[axis]
    bounds = [0] + (list(range(n // indices, n, n // indices)) if isinstance(indices, int) else list(indices)) + [n]
    sizes = i64([hi - lo for lo, hi in zip(bounds, bounds[1:])])
    want = run_onnx("Split", [x], {"axis": axis}, n_outputs=len(sizes), constants=[sizes])
    assert len(outs) == len(want)
    for got, w in zip(outs, want):
        np.testing.assert_array_equal(got, w)
    t = infer("split", shape, indices=indices, axis=axis)
    assert isinstance(t, TupleType) and len(t.fields) == len(sizes)


@pytest.mark.parametrize("begin,end,strides,axes", [
    ((1, 0), (5, 8), (2, 3), None),
    ((-3,), (100,), (1,), (1,)),
    ((-1,), (-100,), (-1,), (0,)),
    ((4, 6), (0, 1), (-2, -2), (0, 1)),
    ((0,), (-1,), None, (-1,)),
    ((2, -9), (2**63 - 1, 5), (1, 2), (1, 0)),
    ((5,), (-(2**63),), (-3,), (0,)),
])
def test_strided_slice(begin, end, strides, axes):
    x = rand(6, 8)
    ref = check_op("strided_slice", [x], {"begin": begin, "end": end, "strides": strides, "axes": axes})
    consts = [i64(begin), i64(end), i64(axes if axes is not None else list(range(len(begin)))),
              i64(strides if strides is not None else [1] * len(begin))]
    np.testing.assert_array_equal(ref, run_onnx("Slice", [x], constants=consts)[0])


@pytest.mark.parametrize("shape,ishape,axis", [((5, 3), (2, 4), 0), ((2, 5, 3), (4,), 1), ((3, 4), (), -1),
                                               ((4, 3), (2,), 0)])
@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_take(shape, ishape, axis, dtype):
    x = rand(*shape)
    n = shape[axis]
    idx = RNG.integers(-n, n, ishape).astype(dtype)
    np.testing.assert_array_equal(check_op("take", [x, idx], {"axis": axis}),
                                  run_onnx("Gather", [x, idx], {"axis": axis})[0])


@pytest.mark.parametrize("shape,ishape,axis", [((3, 4), (3, 2), 1), ((3, 4), (5, 4), 0), ((2, 3, 4), (2, 2, 4), -2),
                                               ((3, 4), (2, 3), 0)])
def test_gather_elements(shape, ishape, axis):
    x = rand(*shape)
    n = shape[axis]
    idx = RNG.integers(-n, n, ishape).astype("int64")
    np.testing.assert_array_equal(check_op("gather_elements", [x, idx], {"axis": axis}),
                                  run_onnx("GatherElements", [x, idx], {"axis": axis})[0])


@pytest.mark.parametrize("shape,target", [((3, 1), (2, 3, 4)), ((4,), (3, 4)), ((1, 1), (2, 5)), ((2, 3), (2, 3))])
def test_broadcast_to(shape, target):
    x = rand(*shape)
    np.testing.assert_array_equal(check_op("broadcast_to", [x], {"shape": target}),
                                  run_onnx("Expand", [x], constants=[i64(target)])[0])


@pytest.mark.parametrize("shape,reps", [((2, 3), (2, 1)), ((2, 1, 3), (1, 3, 2)), ((3,), (2, 2)), ((2, 3), (1, 1))])
def test_tile(shape, reps):
    x = rand(*shape)
    ref = check_op("tile", [x], {"reps": reps})
    xs = x.reshape((1,) * (len(reps) - x.ndim) + shape)
    np.testing.assert_array_equal(ref, run_onnx("Tile", [xs], constants=[i64(reps)])[0])


RESIZE = [
    ((1, 2, 4, 4), (8, 8), "nearest", "asymmetric", "floor"),
    ((1, 2, 4, 5), (7, 3), "nearest", "half_pixel", "round_prefer_floor"),
    ((1, 1, 5, 4), (3, 6), "nearest", "half_pixel", "round_prefer_ceil"),
    ((1, 1, 3, 3), (6, 5), "nearest", "align_corners", "ceil"),
    ((1, 1, 4, 4), (1, 3), "nearest", "pytorch_half_pixel", "round_prefer_floor"),
    ((1, 1, 3, 5), (5, 3), "nearest", "half_pixel", "floor"),
    ((1, 1, 6, 6), (4, 9), "nearest", "asymmetric", "ceil"),
    ((1, 1, 5, 6), (3, 4), "nearest", "half_pixel", "round_prefer_ceil"),
    ((1, 1, 4, 5), (7, 8), "nearest", "align_corners", "round_prefer_floor"),
    ((1, 2, 4, 4), (8, 8), "linear", "half_pixel", "round_prefer_floor"),
    ((1, 2, 5, 3), (3, 7), "linear", "align_corners", "round_prefer_floor"),
    ((2, 1, 4, 6), (6, 4), "linear", "asymmetric", "round_prefer_floor"),
    ((1, 1, 4, 4), (1, 6), "linear", "pytorch_half_pixel", "round_prefer_floor"),
]


@pytest.mark.parametrize("shape,size,method,ctm,nearest", RESIZE)
def test_resize2d(shape, size, method, ctm, nearest):
    x = rand(*shape)
    attrs = dict(size=size, method=method, coordinate_transformation_mode=ctm, nearest_mode=nearest)
    ref = check_op("image.resize2d", [x], attrs, rtol=1e-5, atol=1e-5)
    want = run_onnx("Resize", [x], dict(mode=method, coordinate_transformation_mode=ctm, nearest_mode=nearest),
                    constants=[None, None, i64(shape[:2] + size)])[0]
    np.testing.assert_allclose(ref, want, rtol=1e-5, atol=1e-5)


def test_resize_nearest_on_ints():
    x = RNG.integers(0, 100, (1, 1, 3, 3)).astype("int32")
    check_op("image.resize2d", [x], {"size": (5, 4)})


def test_patterns():
    for name in ["reshape", "transpose", "split", "strided_slice", "take", "image.resize2d", "tile", "concatenate"]:
        assert OPS[name].pattern == OpPattern.INJECTIVE and OPS[name].doc


@pytest.mark.parametrize("name,types,attrs,match", [
    ("reshape", [(2, 3)], {"newshape": (4, 2)}, r"reshape: cannot reshape float32\[2, 3\] \(6 elements\) to \[4, 2\]"),
    ("reshape", [(2, 3)], {"newshape": (-1, 2)}, "reshape: newshape .*resolve -1"),
    ("transpose", [(2, 3)], {"axes": (0, 0)}, "transpose: axes .* not a permutation"),
    ("squeeze", [(2, 1)], {"axes": (0,)}, r"squeeze: axis 0 of float32\[2, 1\] has size 2"),
    ("expand_dims", [(2, 3)], {"axis": 4}, "expand_dims: axis 4 is out of range"),
    ("concatenate", [(2, 3), (3, 3)], {"axis": 1}, "concatenate: inputs .* differ outside axis 1"),
    ("concatenate", [(2, 3), ((2, 3), "int32")], {"axis": 0}, "concatenate: .*different dtypes"),
    ("split", [(6,)], {"indices": (4, 2)}, r"split: split points \[4, 2\] must increase"),
    ("split", [(6,)], {"indices": 4}, "split: .*4 equal sections"),
    ("strided_slice", [(6,)], {"begin": (4,), "end": (2,)}, "strided_slice: slice 4:2:1 .* is empty"),
    ("strided_slice", [(6,)], {"begin": (0,), "end": (2,), "strides": (0,)}, "strided_slice: step 0"),
    ("strided_slice", [(6,)], {"begin": (0, 1), "end": (2,)}, "strided_slice: .*equal lengths"),
    ("take", [(4, 3), ((2,), "float32")], {"axis": 0}, "take: indices float32.*integer"),
    ("take", [(4, 3), ((2,), "int64")], {"axis": 2}, "take: axis 2 is out of range"),
    ("gather_elements", [(4, 3), ((2, 4), "int64")], {"axis": 0}, "gather_elements: indices int64.*no larger"),
    ("broadcast_to", [(3, 2)], {"shape": (3, 4)}, r"broadcast_to: cannot broadcast float32\[3, 2\] to \[3, 4\]"),
    ("tile", [(3, 2)], {"reps": (0, 1)}, "tile: attribute reps must be >= 1"),
    ("image.resize2d", [(1, 2, 3)], {"size": (4, 4)}, "image.resize2d: data .* rank 4"),
    ("image.resize2d", [(1, 2, 3, 3)], {"size": (4, 4), "method": "cubic"}, "image.resize2d: attribute method"),
    ("image.resize2d", [((1, 2, 3, 3), "int32")], {"size": (4, 4), "method": "linear"}, "image.resize2d: .*float"),
])
def test_bad_inputs(name, types, attrs, match):
    with pytest.raises(TypeCheckError, match=match):
        infer(name, *types, **attrs)


def test_infer_shapes():
    assert infer("transpose", (2, 3, 4)) == TensorType((4, 3, 2))
    assert infer("take", (5, 3), ((2, 4), "int64"), axis=0) == TensorType((2, 4, 3))
    assert infer("tile", (2, 3), reps=(2,)) == TensorType((2, 6))
    assert infer("strided_slice", (6, 8), begin=(-1,), end=(-100,), strides=(-1,)) == TensorType((6, 8))
