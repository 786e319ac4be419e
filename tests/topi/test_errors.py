"""Bad arguments raise TypeCheckError naming the op and the shapes, before any compute is built."""
import pytest

from workbench import te, topi
from workbench.errors import TypeCheckError, WorkbenchError


def P(*shape, dtype="float32", name="x"):
    return te.placeholder(shape, dtype, name=name)


CASES = [
    ("matmul inner", lambda: topi.matmul(P(3, 4), P(5, 2)), ["matmul", "[3, 4]", "[5, 2]"]),
    ("matmul rank", lambda: topi.matmul(P(2, 3, 4), P(4, 2)), ["matmul", "batch_matmul"]),
    ("dense k", lambda: topi.dense(P(3, 4), P(5, 6)), ["dense", "[3, 4]", "[5, 6]"]),
    ("dense bias", lambda: topi.dense(P(3, 4), P(5, 4), P(4)), ["dense", "bias", "[5]"]),
    ("batch_matmul batch", lambda: topi.batch_matmul(P(2, 3, 4), P(3, 4, 5)),
     ["batch_matmul", "[2, 3, 4]", "[3, 4, 5]"]),
    ("batch_matmul k", lambda: topi.batch_matmul(P(2, 3, 4), P(2, 5, 5)), ["batch_matmul", "k=4", "k=5"]),
    ("broadcast", lambda: topi.add(P(3, 4), P(2, 4)), ["add", "[3, 4]", "[2, 4]", "broadcast"]),
    ("broadcast 3", lambda: topi.where(P(2, 1, dtype="bool"), P(3), P(4, 1, 2)), ["where", "[2, 1]", "[3]"]),
    ("broadcast_to", lambda: topi.broadcast_to(P(3, 2), (3, 4)), ["broadcast_to", "[3, 2]", "[3, 4]"]),
    ("conv channels", lambda: topi.conv2d_nchw(P(1, 3, 8, 8), P(4, 2, 3, 3)),
     ["conv2d", "channel", "[1, 3, 8, 8]", "[4, 2, 3, 3]"]),
    ("conv groups", lambda: topi.conv2d_nchw(P(1, 4, 8, 8), P(5, 2, 3, 3), groups=2), ["conv2d", "groups=2"]),
    ("conv rank", lambda: topi.conv2d_nchw(P(3, 8, 8), P(4, 3, 3, 3)), ["conv2d", "rank 4", "[3, 8, 8]"]),
    ("conv too big", lambda: topi.conv2d_nchw(P(1, 1, 4, 4), P(1, 1, 3, 3), dilation=2), ["conv2d", "dilated"]),
    ("conv stride", lambda: topi.conv2d_nchw(P(1, 1, 4, 4), P(1, 1, 3, 3), stride=0), ["conv2d", "stride"]),
    ("conv padding", lambda: topi.conv2d_nchw(P(1, 1, 4, 4), P(1, 1, 3, 3), padding=(1, 2, 3)), ["conv2d", "padding"]),
    ("nhwc channels", lambda: topi.conv2d_nhwc(P(1, 8, 8, 3), P(3, 3, 4, 2)), ["conv2d_nhwc", "channel"]),
    ("depthwise kernel", lambda: topi.depthwise_conv2d_nchw(P(1, 3, 8, 8), P(3, 3, 3, 3)),
     ["depthwise_conv2d", "[3, 3, 3, 3]"]),
    ("pool kernel", lambda: topi.max_pool2d(P(1, 1, 4, 4), 0), ["max_pool2d", "kernel"]),
    ("pool padding", lambda: topi.avg_pool2d(P(1, 1, 4, 4), 2, padding=2), ["avg_pool2d", "padding"]),
    ("pool rank", lambda: topi.global_avg_pool2d(P(4, 4)), ["global_avg_pool2d", "[4, 4]"]),
    ("axis", lambda: topi.sum(P(3, 4), axis=2), ["sum", "axis 2", "rank 2"]),
    ("axis negative", lambda: topi.softmax(P(3, 4), axis=-3), ["softmax", "axis -3"]),
    ("axis twice", lambda: topi.max(P(3, 4), axis=(1, -1)), ["max", "twice"]),
    ("softmax int", lambda: topi.softmax(P(3, dtype="int32")), ["softmax", "int32"]),
    ("transpose perm", lambda: topi.transpose(P(2, 3, 4), (0, 0, 1)), ["transpose", "permutation"]),
    ("reshape size", lambda: topi.reshape(P(2, 3), (4, 2)), ["reshape", "[2, 3]", "[4, 2]"]),
    ("reshape -1", lambda: topi.reshape(P(2, 3), (4, -1)), ["reshape", "6 elements"]),
    ("concat shapes", lambda: topi.concatenate([P(2, 3), P(3, 3)], axis=1), ["concatenate", "[2, 3]", "[3, 3]"]),
    ("concat dtypes", lambda: topi.concatenate([P(2, 3), P(2, 3, dtype="int32")]), ["concatenate", "int32"]),
    ("squeeze", lambda: topi.squeeze(P(2, 1), axis=0), ["squeeze", "size 2"]),
    ("slice empty", lambda: topi.strided_slice(P(4, 5), [3], [1]), ["strided_slice", "empty"]),
    ("slice stride", lambda: topi.strided_slice(P(4, 5), [0], [4], [0]), ["strided_slice", "stride 0"]),
    ("split", lambda: topi.split(P(5, 2), 2), ["split", "[5, 2]"]),
    ("take float", lambda: topi.take(P(5, 2), P(3)), ["take", "integer"]),
    ("gather", lambda: topi.gather(P(5, 2), 0, P(3, 3, dtype="int32")), ["gather", "[3, 3]", "[5, 2]"]),
    ("layer_norm axes", lambda: topi.layer_norm(P(2, 3, 4), axis=0), ["layer_norm", "trailing"]),
    ("layer_norm gamma", lambda: topi.layer_norm(P(2, 3, 4), P(3)), ["layer_norm", "gamma", "[4]"]),
    ("batch_norm", lambda: topi.batch_norm_inference(P(2, 3, 4, 4), P(3), P(3), P(4), P(3)),
     ["batch_norm", "moving_mean", "[4]"]),
    ("pad negative", lambda: topi.pad(P(2, 3), (0, -1)), ["pad", "non-negative"]),
    ("pad rank", lambda: topi.pad(P(2, 3), (0, 1, 1)), ["pad", "[2, 3]"]),
    ("not a tensor", lambda: topi.relu([1.0, 2.0]), ["relu", "Tensor"]),
    ("not an operand", lambda: topi.add(P(2), "x"), ["add", "str"]),
]


@pytest.mark.parametrize("build,fragments", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_message(build, fragments):
    with pytest.raises(TypeCheckError) as info:
        build()
    assert isinstance(info.value, WorkbenchError)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
