"""The batch matmul template ``A[B, M, K] x B[B, K, N]``: the matmul template with the batch
axis fused into the parallel block loop (``schedule_matmul`` handles both)."""
from __future__ import annotations

from ... import te, topi
from ..task import GROUP_TEMPLATES, template
from .common import column_contiguous, is_float32_reduction
from .matmul import schedule_matmul

schedule_batch_matmul = schedule_matmul


@template("batch_matmul")
def batch_matmul(cfg, B: int, M: int, N: int, K: int):
    """``C[B, M, N] = A[B, M, K] x W[B, K, N]`` (float32)."""
    A = te.placeholder((B, M, K), name="A")
    W = te.placeholder((B, K, N), name="B")
    C = topi.batch_matmul(A, W)
    return schedule_matmul(cfg, [C], C), [A, W, C]


def args_of_batch_matmul(anchor):
    """``(B, M, N, K)`` of a 3-D float32 batch matmul whose operands both have the full batch, else None."""
    if not is_float32_reduction(anchor, 3, 1) or not column_contiguous(anchor):
        return None
    B, M, N = anchor.shape
    K = anchor.op.reduce_axis[0].extent
    shapes = sorted(tuple(t.shape) for t in anchor.op.input_tensors)
    if shapes != sorted([(B, M, K), (B, K, N)]):
        return None  # broadcast batch: the template has none
    return (B, M, N, K)


GROUP_TEMPLATES["nn.matmul#batch"] = ("batch_matmul", args_of_batch_matmul, schedule_batch_matmul)
