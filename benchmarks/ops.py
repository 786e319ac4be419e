"""Default schedules vs onnxruntime, operator by operator: ResNet-18 and MobileNetV2 convs, BERT dense
and attention batch matmuls, the ResNet classifier GEMV.

Each row compiles one fused group with its default schedule (conv + bias, dense + bias, batch matmul)
and runs the same op as a one-node ONNX model in onnxruntime (2 intra-op threads, spinning off so its
idle threads do not steal the cores our OpenMP threads run on). Rounds interleave the two; the figures
are medians. Columns: our time, onnxruntime's, the ratio (ours / ort: below 1 is faster), the ratio of
the best rounds (the machine is shared: interference only ever adds time) and our GFLOPS.

usage: python benchmarks/ops.py [--rounds 5] [--only resnet|mobilenet|bert] [--threads 2]
"""
from __future__ import annotations

import argparse
import os
import statistics

from workbench.runtime.blas_env import reexec_without_blas_overrides

reexec_without_blas_overrides()

from _timing import seconds  # noqa: E402  (benchmarks/_timing.py, beside this script)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

import workbench as wb  # noqa: E402
from workbench import te, topi  # noqa: E402
from workbench.graph.op.schedules import schedule_conv2d, schedule_dense  # noqa: E402

# (name, C, H, F, K, stride, pad, groups)
RESNET18 = [
    ("conv1 7x7/2", 3, 224, 64, 7, 2, 3, 1),
    ("layer1 3x3", 64, 56, 64, 3, 1, 1, 1),
    ("layer2 3x3/2", 64, 56, 128, 3, 2, 1, 1),
    ("layer2 1x1/2 down", 64, 56, 128, 1, 2, 0, 1),
    ("layer2 3x3", 128, 28, 128, 3, 1, 1, 1),
    ("layer3 3x3/2", 128, 28, 256, 3, 2, 1, 1),
    ("layer3 3x3", 256, 14, 256, 3, 1, 1, 1),
    ("layer4 3x3/2", 256, 14, 512, 3, 2, 1, 1),
    ("layer4 3x3", 512, 7, 512, 3, 1, 1, 1),
]
MOBILENETV2 = [
    ("stem 3x3/2", 3, 224, 32, 3, 2, 1, 1),
    ("dw 32 @112", 32, 112, 32, 3, 1, 1, 32),
    ("1x1 32->16 @112", 32, 112, 16, 1, 1, 0, 1),
    ("1x1 16->96 @112", 16, 112, 96, 1, 1, 0, 1),
    ("dw 96 @112 /2", 96, 112, 96, 3, 2, 1, 96),
    ("1x1 24->144 @56", 24, 56, 144, 1, 1, 0, 1),
    ("dw 144 @56", 144, 56, 144, 3, 1, 1, 144),
    ("dw 144 @56 /2", 144, 56, 144, 3, 2, 1, 144),
    ("1x1 144->24 @56", 144, 56, 24, 1, 1, 0, 1),
    ("dw 192 @28", 192, 28, 192, 3, 1, 1, 192),
    ("dw 384 @14", 384, 14, 384, 3, 1, 1, 384),
    ("dw 576 @14 /2", 576, 14, 576, 3, 2, 1, 576),
    ("dw 960 @7", 960, 7, 960, 3, 1, 1, 960),
    ("1x1 960->320 @7", 960, 7, 320, 1, 1, 0, 1),
    ("1x1 320->1280 @7", 320, 7, 1280, 1, 1, 0, 1),
]
# (name, M, K, N) dense X[M, K] W[N, K]^T + b
DENSE = [("BERT qkv/out 128x768x768", 128, 768, 768), ("BERT ffn1 128x768x3072", 128, 768, 3072),
         ("BERT ffn2 128x3072x768", 128, 3072, 768), ("ResNet fc 1x512x1000", 1, 512, 1000)]
# (name, A shape, B shape)
BATCH_MATMUL = [("attn QK^T 12x128x64x128", (12, 128, 64), (12, 64, 128)),
                ("attn PV 12x128x128x64", (12, 128, 128), (12, 128, 64))]


THREADS = os.cpu_count()  # --threads sets it for both sides


def session(nodes, inputs, outputs):
    graph = helper.make_graph(nodes, "g", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = THREADS
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))


def conv_case(C, H, F, K, stride, pad, groups):
    x, w, b = te.placeholder((1, C, H, H), name="x"), te.placeholder((F, C // groups, K, K), name="w"), \
        te.placeholder((F, 1, 1), name="b")
    conv = topi.conv2d_nchw(x, w, stride=stride, padding=pad, groups=groups)
    out = topi.add(conv, b)
    kernel = wb.build(schedule_conv2d([out], conv), [x, w, b, out])
    sess = session([helper.make_node("Conv", ["x", "w", "b"], ["y"], strides=[stride] * 2, pads=[pad] * 4,
                                     group=groups)], [vi("x", x.shape), vi("w", w.shape), vi("b", (F,))],
                   [vi("y", out.shape)])
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(t.shape, dtype="float32") for t in (x, w, b)]
    feeds = {"x": arrays[0], "w": arrays[1], "b": arrays[2].reshape(F)}
    flops = 2 * int(np.prod(out.shape)) * (C // groups) * K * K
    return kernel, arrays + [np.zeros(out.shape, "float32")], sess, feeds, flops


def dense_case(M, K, N):
    x, w, b = te.placeholder((M, K), name="x"), te.placeholder((N, K), name="w"), te.placeholder((N,), name="b")
    y = topi.dense(x, w)
    out = topi.add(y, b)
    kernel = wb.build(schedule_dense([out], y), [x, w, b, out])
    sess = session([helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)],
                   [vi("x", (M, K)), vi("w", (N, K)), vi("b", (N,))], [vi("y", (M, N))])
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(t.shape, dtype="float32") for t in (x, w, b)]
    return kernel, arrays + [np.zeros((M, N), "float32")], sess, dict(zip("xwb", arrays)), 2 * M * N * K


def batch_matmul_case(ashape, bshape):
    a, b = te.placeholder(ashape, name="a"), te.placeholder(bshape, name="b")
    y = topi.batch_matmul(a, b)
    kernel = wb.build(schedule_dense([y], y), [a, b, y])
    sess = session([helper.make_node("MatMul", ["a", "b"], ["y"])], [vi("a", ashape), vi("b", bshape)],
                   [vi("y", y.shape)])
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s, dtype="float32") for s in (ashape, bshape)]
    flops = 2 * int(np.prod(y.shape)) * ashape[-1]
    return kernel, arrays + [np.zeros(y.shape, "float32")], sess, dict(zip("ab", arrays)), flops



def measure(name, kernel, arrays, sess, feeds, flops, rounds):
    kernel.num_threads = THREADS
    kernel(*arrays)
    ref = sess.run(None, feeds)[0]
    np.testing.assert_allclose(arrays[-1], ref, rtol=1e-3, atol=1e-3 * max(1.0, float(np.abs(ref).max())))
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(kernel.time(*arrays, repeat=3, min_repeat_ms=30).median)
        theirs.append(seconds(lambda: sess.run(None, feeds), min_time=0.03))
    t_ours, t_ort = statistics.median(ours), statistics.median(theirs)
    print(f"{name:28s} {t_ours * 1e3:9.3f} {t_ort * 1e3:9.3f} {t_ours / t_ort:7.2f} {min(ours) / min(theirs):7.2f} "
          f"{flops / t_ours / 1e9:8.1f}", flush=True)
    return t_ours, t_ort


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", choices=["resnet", "mobilenet", "bert"])
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="threads for both sides (1 gives figures that other load on the machine disturbs less)")
    args = ap.parse_args()
    global THREADS
    THREADS = args.threads
    print(f"{os.cpu_count()} cores, {THREADS} threads each; onnxruntime {ort.__version__}, onnx {onnx.__version__}")
    print(f"{'op':28s} {'ours ms':>9s} {'ort ms':>9s} {'ratio':>7s} {'best':>7s} {'GFLOPS':>8s}")
    groups = {
        "resnet": [(r[0], conv_case, r[1:]) for r in RESNET18],
        "mobilenet": [(r[0], conv_case, r[1:]) for r in MOBILENETV2],
        "bert": [(n, dense_case, (m, k, nn)) for n, m, k, nn in DENSE]
        + [(n, batch_matmul_case, (a, b)) for n, a, b in BATCH_MATMUL],
    }
    for key, cases in groups.items():
        if args.only and key != args.only:
            continue
        print(f"-- {key}")
        total_ours = total_ort = 0.0
        for name, make, spec in cases:
            t_ours, t_ort = measure(name, *make(*spec), rounds=args.rounds)
            total_ours += t_ours
            total_ort += t_ort
        print(f"{'sum of the rows':28s} {total_ours * 1e3:9.3f} {total_ort * 1e3:9.3f} "
              f"{total_ours / total_ort:7.2f}")


if __name__ == "__main__":
    main()
