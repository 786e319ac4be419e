"""Sketch generation by the derivation rules, for the operator kinds of the issue."""
from workbench.ansor import ComputeDAG, generate_sketches

from . import dags


def sketches(name):
    ins, outs = dags.ALL[name]()
    return generate_sketches(ComputeDAG(ins, outs))


def kinds(sk):
    return {name: p.kind for name, p in sk.plans.items()}


def test_matmul_plain_tiling_and_cache_write():
    sk = sketches("matmul")
    assert [kinds(s) for s in sk] == [{"C": "tile"}, {"C.local": "tile", "C": "consumer"}]
    assert sk[1].plans["C.local"].cache and sk[1].plans["C.local"].consumer == "C"
    text = str(sk[1])
    assert "cache_write" in text and "S0 S1 R0 S2 R1 S3" in text


def test_conv2d_tiles_with_fusion_inlines_bias_and_places_padding():
    (sk,) = sketches("conv2d")
    assert kinds(sk) == {"pad": "place", "conv2d": "tile", "add": "inline", "relu": "consumer"}
    assert sk.plans["conv2d"].consumer == "relu"
    assert sk.plans["pad"].readers == ("conv2d",)
    assert "always inline" in " ".join(sk.rules) and "fusion into relu" in " ".join(sk.rules)


def test_packed_conv_fuses_into_its_nchw_reader_with_the_lanes_innermost():
    (sk,) = sketches("conv2d_packed")
    assert kinds(sk) == {"pad": "place", "conv2d_packed": "tile", "conv2d_packed_nchw": "inline", "add": "inline",
                         "relu": "consumer"}
    assert sk.plans["conv2d_packed"].unblock == (1, 16)
    assert "axis 1 x 16 + its last axis" in str(sk)


def test_depthwise_conv():
    sk = sketches("depthwise")
    assert [kinds(s) for s in sk] == [{"pad": "place", "conv2d": "tile"},
                                      {"pad": "place", "conv2d.local": "tile", "conv2d": "consumer"}]
    assert sk[1].plans["pad"].readers == ("conv2d.local",)


def test_softmax_and_layer_norm_are_placed_reductions():
    (sm,) = sketches("softmax")
    assert kinds(sm) == {"softmax_max": "place", "softmax_exp": "inline", "softmax_sum": "place", "softmax": "simple"}
    (ln,) = sketches("layer_norm")
    assert kinds(ln) == {"layer_norm_mean": "place", "layer_norm_var": "place", "layer_norm": "simple"}


def test_elementwise_chain_inlines_all_but_the_output():
    (sk,) = sketches("elementwise_chain")
    assert kinds(sk) == {"a": "inline", "b": "inline", "c": "simple"}


def test_long_reduction_with_little_parallelism_gets_rfactor():
    sk = sketches("norm")
    assert [kinds(s) for s in sk] == [{"sumsq": "rfactor"}, {"sumsq": "simple"}]
    assert "rfactor" in str(sk[0])
