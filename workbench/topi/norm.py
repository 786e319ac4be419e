"""Normalizations along axes: softmax, log_softmax, layer_norm, batch_norm_inference.

Each is written as the stages a schedule sees; statistics are reductions that
keep the input's rank (size 1 along the reduced axes)::

    softmax:      softmax_max = max(x) -> softmax_exp = exp(x - max) -> softmax_sum = sum(exp)
                  -> softmax = exp / sum
    log_softmax:  log_softmax_max -> log_softmax_sum = sum(exp(x - max)) -> log_softmax = x - max - log(sum)
    layer_norm:   layer_norm_mean = sum(x / n) -> layer_norm_var = sum((x - mean)^2 / n)
                  -> layer_norm = (x - mean) * rsqrt(var + epsilon) * gamma + beta

Subtracting the maximum keeps ``exp`` from overflowing. batch_norm_inference
uses given running statistics: one elementwise stage.

>>> from workbench import te, topi
>>> x = te.placeholder((4, 16), name="x")
>>> p = topi.softmax(x)
>>> y = topi.layer_norm(x, te.placeholder((16,), name="g"), te.placeholder((16,), name="b"))
"""
from __future__ import annotations

from .. import te
from ..te.tensor import Tensor
from ..tir import dtype as dt
from ._util import check_tensor, fail, normalize_axis, normalize_axes, prod


def _setup(op: str, x: Tensor, axis: int):
    check_tensor(op, x)
    if not dt.is_float(x.dtype):
        fail(op, f"input must be a float tensor, got {x.dtype}; cast it first")
    axis = normalize_axis(op, axis, x.ndim, x.shape)
    k = te.reduce_axis((0, x.shape[axis]), name="k")
    reduced = x.shape[:axis] + (1,) + x.shape[axis + 1:]

    def along(idx, i):
        """``idx`` with position ``axis`` replaced by ``i``."""
        return idx[:axis] + (i,) + idx[axis + 1:]

    def keep(idx):
        """The element of a reduced (size-1 along ``axis``) stage for output index ``idx``."""
        return along(idx, 0)

    return axis, k, reduced, along, keep


def softmax(x: Tensor, axis: int = -1, name: str = "softmax") -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``, in four stages (max, exp, sum, divide).

    >>> p = softmax(te.placeholder((2, 5), name="x"))
    """
    axis, k, reduced, along, keep = _setup("softmax", x, axis)
    mx = te.compute(reduced, lambda *idx: te.max(x[along(idx, k)], axis=k), name=f"{name}_max")
    ex = te.compute(x.shape, lambda *idx: te.exp(x[idx] - mx[keep(idx)]), name=f"{name}_exp")
    k2 = te.reduce_axis((0, x.shape[axis]), name="k")
    total = te.compute(reduced, lambda *idx: te.sum(ex[along(idx, k2)], axis=k2), name=f"{name}_sum")
    return te.compute(x.shape, lambda *idx: ex[idx] / total[keep(idx)], name=name)


def log_softmax(x: Tensor, axis: int = -1, name: str = "log_softmax") -> Tensor:
    """``x - log(sum(exp(x)))`` along ``axis``, computed stably (max, sum of exp, subtract).

    >>> lp = log_softmax(te.placeholder((2, 5), name="x"))
    """
    axis, k, reduced, along, keep = _setup("log_softmax", x, axis)
    mx = te.compute(reduced, lambda *idx: te.max(x[along(idx, k)], axis=k), name=f"{name}_max")
    k2 = te.reduce_axis((0, x.shape[axis]), name="k")
    total = te.compute(reduced, lambda *idx: te.sum(te.exp(x[along(idx, k2)] - mx[idx]), axis=k2),
                       name=f"{name}_sum")
    return te.compute(x.shape, lambda *idx: x[idx] - mx[keep(idx)] - te.log(total[keep(idx)]), name=name)


def layer_norm(x: Tensor, gamma: Tensor | None = None, beta: Tensor | None = None, axis=-1,
               epsilon: float = 1e-5, name: str = "layer_norm") -> Tensor:
    """Normalize ``x`` over trailing ``axis`` (an int or a list), then scale by ``gamma`` and shift by ``beta``.

    ``gamma`` and ``beta`` have the shape of the normalized dimensions (or are None).
    Mean and variance (biased, as ONNX LayerNormalization) are stages
    ``{name}_mean`` and ``{name}_var`` of ``x``'s shape with size 1 along ``axis``.

    >>> x = te.placeholder((2, 3, 8), name="x")
    >>> y = layer_norm(x, te.placeholder((3, 8), name="g"), None, axis=(-2, -1))
    """
    op = "layer_norm"
    check_tensor(op, x)
    if not dt.is_float(x.dtype):
        fail(op, f"input must be a float tensor, got {x.dtype}")
    axes = normalize_axes(op, axis, x.ndim, x.shape)
    if axes != tuple(range(x.ndim - len(axes), x.ndim)):
        fail(op, f"axis {axis!r} must be trailing axes of shape {list(x.shape)} (e.g. -1 or (-2, -1))")
    norm_shape = x.shape[x.ndim - len(axes):]
    for what, t in (("gamma", gamma), ("beta", beta)):
        if t is not None:
            check_tensor(op, t, what)
            if t.shape != norm_shape:
                fail(op, f"{what} shape {list(t.shape)} must be {list(norm_shape)} (the normalized dimensions "
                         f"of x {list(x.shape)})")
    lead = x.ndim - len(axes)
    inv_n = te.const(1.0 / prod(norm_shape), x.dtype)

    def rv():
        return [te.reduce_axis((0, n), name=f"k{d}" if len(axes) > 1 else "k") for d, n in enumerate(norm_shape)]

    stat_shape = x.shape[:lead] + (1,) * len(axes)
    ones = (0,) * len(axes)
    k1 = rv()
    mean = te.compute(stat_shape, lambda *idx: te.sum(x[idx[:lead] + tuple(k1)] * inv_n, axis=k1),
                      name=f"{name}_mean")
    k2 = rv()

    def centered_square(idx):
        d = x[idx[:lead] + tuple(k2)] - mean[idx]
        return d * d * inv_n

    var = te.compute(stat_shape, lambda *idx: te.sum(centered_square(idx), axis=k2), name=f"{name}_var")

    def body(*idx):
        stat, tail = idx[:lead] + ones, idx[lead:]
        y = (x[idx] - mean[stat]) * te.rsqrt(var[stat] + te.const(epsilon, x.dtype))
        if gamma is not None:
            y = y * gamma[tail]
        if beta is not None:
            y = y + beta[tail]
        return y

    return te.compute(x.shape, body, name=name)


def batch_norm_inference(x: Tensor, gamma: Tensor, beta: Tensor, moving_mean: Tensor, moving_var: Tensor,
                         epsilon: float = 1e-5, axis: int = 1, name: str = "batch_norm") -> Tensor:
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta`` with per-channel statistics along ``axis``.

    ``gamma``, ``beta``, ``moving_mean`` and ``moving_var`` are 1-D of length ``x.shape[axis]``
    (ONNX BatchNormalization in inference mode).

    >>> x = te.placeholder((2, 3, 4, 4), name="x"); p = [te.placeholder((3,), name=n) for n in "gbmv"]
    >>> y = batch_norm_inference(x, *p)
    """
    op = "batch_norm_inference"
    check_tensor(op, x)
    axis = normalize_axis(op, axis, x.ndim, x.shape)
    c = x.shape[axis]
    params = {"gamma": gamma, "beta": beta, "moving_mean": moving_mean, "moving_var": moving_var}
    for what, t in params.items():
        check_tensor(op, t, what)
        if t.shape != (c,):
            fail(op, f"{what} shape {list(t.shape)} must be [{c}] (x {list(x.shape)} has {c} channels on axis {axis})")
    eps = te.const(epsilon, x.dtype)

    def body(*idx):
        ch = idx[axis]
        scale = gamma[ch] * te.rsqrt(moving_var[ch] + eps)
        return (x[idx] - moving_mean[ch]) * scale + beta[ch]

    return te.compute(x.shape, body, name=name)
