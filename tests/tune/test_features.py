"""Loop-nest features: fixed length, and each group of entries reacts to the schedule change it describes."""
import numpy as np

from workbench import te
from workbench.lower import lower
from workbench.tune.features import FEATURE_NAMES, MAX_BUFFERS, loop_features


def matmul(n=64):
    A = te.placeholder((n, n), name="A")
    B = te.placeholder((n, n), name="B")
    k = te.reduce_axis((0, n), name="k")
    C = te.compute((n, n), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
    return A, B, C


def feats(s, args):
    return dict(zip(FEATURE_NAMES, loop_features(lower(s, args))))


def test_fixed_length_and_deterministic():
    A, B, C = matmul()
    s = te.create_schedule(C.op)
    x = loop_features(lower(s, [A, B, C]))
    assert x.shape == (len(FEATURE_NAMES),) and x.dtype == np.float32
    assert np.all(np.isfinite(x))
    np.testing.assert_array_equal(x, loop_features(lower(s, [A, B, C])))
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)


def test_unscheduled_matmul_nest_and_strides():
    A, B, C = matmul(64)
    f = feats(te.create_schedule(C.op), [A, B, C])
    assert f["nest.depth"] == 3
    assert f["loop0.serial"] == 1 and f["loop0.log_extent"] == np.log2(65).astype(np.float32)
    assert f["nest.log_iters"] == np.float32(np.log2(1 + 64 ** 3))
    # innermost loop is k: A[i, k] is contiguous, B[k, j] strides by a row, C[i, j] does not move
    assert f["buf0.inner_stride_is_1"] == 1
    assert f["buf1.inner_stride"] == np.float32(np.log2(65))
    assert f["buf2.inner_stride_is_0"] == 1
    assert f["ops.float_mul"] == np.float32(np.log2(1 + 64 ** 3))
    assert f["nest.log_vector_len"] == 0 and f["nest.n_parallel"] == 0


def test_schedule_primitives_show_up():
    A, B, C = matmul(64)
    s = te.create_schedule(C.op)
    CC = s.cache_write(C, "local")
    io, jo, ii, ji = s[C].tile(C.op.axis[0], C.op.axis[1], x_factor=8, y_factor=16)
    s[CC].compute_at(s[C], jo)
    x, y = s[CC].op.axis
    ko, ki = s[CC].split(s[CC].op.reduce_axis[0], factor=4)
    s[CC].reorder(ko, x, ki, y)
    s[CC].unroll(ki)
    s[CC].vectorize(y)
    s[C].parallel(io)
    f = feats(s, [A, B, C])
    assert f["loop0.vectorized"] == 1 and f["loop1.unrolled"] == 1
    assert f["nest.log_vector_len"] == np.float32(np.log2(17))
    assert f["nest.n_parallel"] == 1 and f["nest.log_parallel_extent"] == np.float32(np.log2(9))
    assert f["alloc.count"] == 1 and f["alloc.log_total_bytes"] == np.float32(np.log2(1 + 8 * 16 * 4))
    assert f["buf3.present"] == 1 and f["buf3.writes"] == 1  # the local accumulator
    assert f["buf1.inner_stride_is_1"] == 1                  # B[k, j] along the vector lane
    # bytes of A touched per iteration of the outermost (parallel) loop: 8 rows of 64 floats
    assert f["buf0.bytes_per_outer_iter"] == np.float32(np.log2(1 + 8 * 64 * 4))


def test_guards_and_elementwise():
    A = te.placeholder((100,), name="A")
    B = te.compute((100,), lambda i: te.exp(A[i]) * 2.0 + 1.0, name="B")
    s = te.create_schedule(B.op)
    io, ii = s[B].split(B.op.axis[0], factor=16)
    f = feats(s, [A, B])
    assert f["func.n_guards"] >= 1
    assert f["ops.float_other"] > 0 and f["ops.float_addsub"] > 0
    assert f[f"buf{MAX_BUFFERS - 1}.present"] == 0
