"""Search spaces (pure, no codegen): knob policies, sizes, listing, index and JSON round trips, fallback."""
import json
import random

import numpy as np
import pytest

from workbench import autotvm, te
from workbench.autotvm import ConfigEntity, ConfigError, ConfigSpace, FallbackConfig


# ---------------------------------------------------------------------- define_split

@pytest.mark.parametrize("extent, parts, count", [(16, 2, 5), (16, 3, 15), (12, 2, 6), (12, 3, 18), (7, 2, 2),
                                                  (1, 3, 1), (1024, 4, 286), (30, 1, 1)])
def test_split_factors_are_every_exact_factorization(extent, parts, count):
    cs = ConfigSpace()
    cs.define_split("t", extent, num_outputs=parts)
    sizes = [v.size for v in cs.knobs["t"].values]
    assert len(sizes) == count == len({tuple(s) for s in sizes})
    assert all(len(s) == parts and np.prod(s) == extent for s in sizes)


def test_split_power2_guards_the_rest():
    cs = ConfigSpace()
    cs.define_split("t", 20, num_outputs=2, policy="power2")
    assert [v.size for v in cs.knobs["t"].values] == [[20, 1], [10, 2], [5, 4], [3, 8], [2, 16]]
    cs.define_split("u", 20, num_outputs=3, policy="power2")
    assert all(s.size[1] * s.size[2] <= 20 and s.size[0] == -(-20 // (s.size[1] * s.size[2]))
               for s in cs.knobs["u"].values)


def test_split_candidate_max_factor_and_filter():
    cs = ConfigSpace()
    cs.define_split("c", 64, num_outputs=3, policy="candidate", candidate=[[-1, 4, 4], [2, 4, 8]])
    assert [v.size for v in cs.knobs["c"].values] == [[-1, 4, 4], [2, 4, 8]]
    cs.define_split("m", 64, num_outputs=2, max_factor=8)
    assert [v.size[1] for v in cs.knobs["m"].values] == [1, 2, 4, 8]
    cs.define_split("f", 64, num_outputs=3, filter=lambda e: e.size[-1] >= 16)
    assert all(v.size[-1] >= 16 for v in cs.knobs["f"].values) and len(cs.knobs["f"]) == 6
    with pytest.raises(ConfigError, match="candidate .* must be 3 positive ints"):
        ConfigSpace().define_split("c", 64, num_outputs=3, policy="candidate", candidate=[[4, 4]])
    with pytest.raises(ConfigError, match="unknown policy 'pow2'"):
        ConfigSpace().define_split("p", 64, policy="pow2")
    with pytest.raises(ConfigError, match="no choice is left"):
        ConfigSpace().define_split("f", 64, filter=lambda e: False)


def test_split_takes_an_axis_and_applies_outer_to_inner():
    A = te.placeholder((24, 8), name="A")
    B = te.compute((24, 8), lambda i, j: A[i, j] * 2.0, name="B")
    s = te.create_schedule(B.op)
    cs = ConfigSpace()
    e = cs.define_split("tile", B.op.axis[0], num_outputs=3, default=[-1, 3, 2])
    assert e.size == [4, 3, 2]
    axes = e.apply(s[B], B.op.axis[0])
    assert [s[B].extent_of(a) for a in axes] == [4, 3, 2]
    assert [iv.name for iv in s[B].leaf_iter_vars[:3]] == [a.name for a in axes]
    with pytest.raises(ConfigError, match="expected an axis or a positive int extent"):
        cs.define_split("bad", 0)


# ---------------------------------------------------------------------- reorder, annotate, knob

def test_reorder_all_and_candidates():
    A = te.placeholder((2, 3, 4), name="A")
    B = te.compute((2, 3, 4), lambda i, j, k: A[i, j, k] + 1.0, name="B")
    s = te.create_schedule(B.op)
    i, j, k = B.op.axis
    cs = ConfigSpace()
    cs.define_reorder("all", [i, j, k])
    assert len(cs.knobs["all"]) == 6
    r = cs.define_reorder("cand", [i, j, k], policy="candidate", candidate=[[k, i, j], [2, 1, 0]])
    assert [v.perm for v in cs.knobs["cand"].values] == [[2, 0, 1], [2, 1, 0]] and r.perm == [2, 0, 1]
    assert r.apply(s[B], [i, j, k]) == [k, i, j] and s[B].leaf_iter_vars == [k, i, j]
    with pytest.raises(ConfigError, match="not a permutation"):
        ConfigSpace().define_reorder("bad", [i, j, k], policy="candidate", candidate=[[0, 0, 1]])
    with pytest.raises(ConfigError, match="9 axes have 362880 orders"):
        ConfigSpace().define_reorder("big", list(range(9)))


def test_annotate_policies_vectorize_only_the_innermost():
    cs = ConfigSpace()
    cs.define_annotate("u", [4, 4], policy="unroll")
    cs.define_annotate("v", [4, 4], policy="vec")
    cs.define_annotate("uv", [4, 4], policy="unroll_vec")
    assert len(cs.knobs["u"]) == 4 and len(cs.knobs["v"]) == 2 and len(cs.knobs["uv"]) == 6
    assert all(v.anns[0] != "vec" for v in cs.knobs["uv"].values)
    A = te.placeholder((4, 8), name="A")
    B = te.compute((4, 8), lambda i, j: A[i, j] + 1.0, name="B")
    s = te.create_schedule(B.op)
    cs.knobs["uv"].values[-1].apply(s[B], list(B.op.axis))
    assert [k.value for k in s[B].iter_kinds.values()] == ["unrolled", "vectorized"]


def test_define_knob_takes_plain_values():
    cs = ConfigSpace()
    assert cs.define_knob("k", [0, 16, 64], default=16).val == 16
    cs.define_knob("s", ["root", "block", None, True])
    assert len(cs) == 12
    with pytest.raises(ConfigError, match="not a plain JSON value"):
        ConfigSpace().define_knob("k", [object()])
    with pytest.raises(ConfigError, match="defined twice"):
        cs.define_knob("k", [1])


# ---------------------------------------------------------------------- the space and its points

def small_space():
    cs = ConfigSpace()
    cs.define_split("tile_x", 32, num_outputs=3, default=[-1, 4, 2])
    cs.define_split("tile_k", 12, num_outputs=2, policy="power2")
    cs.define_reorder("order", [0, 1, 2])
    cs.define_annotate("ann", [4, 4], policy="unroll_vec")
    cs.define_knob("unroll_max", [0, 16, 64])
    return cs


def test_size_is_the_product_and_the_listing_names_every_knob():
    cs = small_space()
    assert cs.dims == [21, 4, 6, 6, 3] and len(cs) == 21 * 4 * 6 * 6 * 3
    text = repr(cs)
    assert text.splitlines()[0] == "ConfigSpace (9,072 configs, 5 knobs)"
    for name, size in zip(cs.knobs, cs.dims):
        assert any(line.split()[:2] == [name, str(size)] for line in text.splitlines()[1:])
    assert "split 32 into 3 (factors)" in text and "one of [0, 16, 64]" in text


def test_index_and_entity_round_trip():
    cs = small_space()
    seen = set()
    for index in range(len(cs)):
        cfg = cs.get(index)
        assert cfg.index == index and cs.index_of(cfg.knob_indices) == index
        seen.add(tuple(cfg.knob_indices))
    assert len(seen) == len(cs)
    with pytest.raises(ConfigError, match="out of range: the space has 9072 configs"):
        cs.get(len(cs))
    with pytest.raises(ConfigError, match="choice 4 is not in"):
        cs.index_of([0, 4, 0, 0, 0])


def test_json_round_trip_through_text():
    cs = small_space()
    for index in list(range(0, len(cs), 97)) + [len(cs) - 1]:
        cfg = cs.get(index)
        back = ConfigEntity.from_json(cs, json.loads(json.dumps(cfg.to_json())))
        assert back == cfg and back.to_json() == cfg.to_json()
        assert [back[k] for k in cs.knobs] == [cfg[k] for k in cs.knobs]
    assert cs.get(5).to_json() == {"index": 5, "knobs": {"tile_x": [1, 32, 1], "tile_k": [12, 1], "order": [0, 1, 2],
                                                         "ann": ["none", "none"], "unroll_max": 0}}


@pytest.mark.parametrize("bad, message", [
    ([1, 2], "must be a JSON object with an 'index'"),
    ({"knobs": {}}, "must be a JSON object with an 'index'"),
    ({"index": "3"}, "index must be an int"),
    ({"index": True}, "index must be an int"),
    ({"index": 10 ** 9}, "out of range"),
    ({"index": -1}, "out of range"),
    ({"index": 3, "knobs": [1]}, "'knobs' must be an object"),
    ({"index": 3, "knobs": {"tile_x": [1, 1, 32]}}, r"missing \['ann', 'order', 'tile_k', 'unroll_max'\]"),
])
def test_malformed_json_is_a_clear_error(bad, message):
    with pytest.raises(ConfigError, match=message):
        ConfigEntity.from_json(small_space(), bad)


def test_json_of_another_space_is_rejected():
    cs = small_space()
    other = ConfigSpace()
    other.define_split("tile_x", 64, num_outputs=3)  # another shape: same knob names, other values
    other.define_split("tile_k", 12, num_outputs=2, policy="power2")
    other.define_reorder("order", [0, 1, 2])
    other.define_annotate("ann", [4, 4], policy="unroll_vec")
    other.define_knob("unroll_max", [0, 16, 64])
    foreign = other.get(7).to_json()
    with pytest.raises(ConfigError, match="knob 'tile_x' is .* in the JSON but .* in the space"):
        ConfigEntity.from_json(cs, foreign)
    renamed = dict(cs.get(7).to_json()["knobs"])
    renamed["tile_y"] = renamed.pop("tile_x")
    with pytest.raises(ConfigError, match=r"unknown \['tile_y'\].*another template"):
        ConfigEntity.from_json(cs, {"index": 7, "knobs": renamed})
    assert ConfigEntity.from_json(cs, {"index": 7}) == cs.get(7)  # knobs are optional; the index must fit


def test_fallback_uses_each_knobs_default():
    cs = small_space()
    fb = FallbackConfig(cs)
    assert fb.is_fallback and not cs.get(0).is_fallback
    assert fb["tile_x"].size == [4, 4, 2] and fb["tile_k"].size == [12, 1]
    assert fb["order"].perm == [0, 1, 2] and fb["ann"].anns == ["none", "none"] and fb["unroll_max"].val == 0
    assert cs.get(fb.index).to_json() == fb.to_json() and cs.fallback() == fb
    assert all(cs[name] == fb[name] for name in cs.knobs)  # what the template sees while collecting
    near = ConfigSpace()
    assert near.define_split("t", 56, default=[-1, 16]).size == [4, 14]  # the nearest factor in log scale


def test_random_index_covers_the_space_with_either_rng():
    cs = small_space()
    np_draws = {cs.random_index(np.random.default_rng(s)) for s in range(300)}
    py = random.Random(0)
    py_draws = {cs.random_index(py) for _ in range(300)}
    assert all(0 <= i < len(cs) for i in np_draws | py_draws) and len(np_draws) > 250 and len(py_draws) > 250


def test_knob_vector_is_numeric_with_a_fixed_length():
    cs = small_space()
    vecs = [cs.get(i).knob_vector() for i in range(0, len(cs), 13)]
    assert len({len(v) for v in vecs}) == 1 and len(vecs[0]) == 3 + 2 + 3 + 2 + 1
    assert all(isinstance(x, float) for x in vecs[0])
    assert len({tuple(v) for v in (cs.get(i).knob_vector() for i in range(200))}) == 200


# ---------------------------------------------------------------------- templates and tasks

def test_a_template_defines_its_space_and_a_config_checks_it():
    @autotvm.template("test_scale")
    def scale(cfg, n, wide):
        A = te.placeholder((n,), name="A")
        B = te.compute((n,), lambda i: A[i] * 2.0, name="B")
        s = te.create_schedule(B.op)
        cfg.define_split("tile", n if not wide else 2 * n, num_outputs=2)
        cfg.define_knob("vec", [False, True])
        _, xi = cfg["tile"].apply(s[B], B.op.axis[0])
        if cfg["vec"].val:
            s[B].vectorize(xi)
        return s, [A, B]

    t = autotvm.task("test_scale", (64, False))
    assert t.key == "test_scale(64, False)" and len(t.space) == 7 * 2 and t.flop == 0.0
    s, (_, B) = t.instantiate(t.space.get(13))
    assert [iv.name for iv in s[B].leaf_iter_vars] == ["i.outer", "i.inner"]
    assert t.instantiate(t.config(13))[0].trace.to_json() == s.trace.to_json()
    other = autotvm.task("test_scale", (32, False))
    with pytest.raises(ConfigError, match="belongs to another space"):
        t.instantiate(other.space.get(0))
    # a config replayed against a template that now defines the knob differently
    with pytest.raises(ConfigError, match="knob 'tile' is defined as .* but the space has"):
        scale(t.space.get(0), 64, True)
    del autotvm.TEMPLATES["test_scale"]


def test_unknown_template_and_bad_args():
    with pytest.raises(ConfigError, match="no template named 'nope'; registered templates: batch_matmul"):
        autotvm.task("nope", (1,))
    with pytest.raises(ConfigError, match="not a plain value"):
        autotvm.task("matmul", (object(), 1, 1))


def test_builtin_tasks_have_keys_flops_and_fallbacks():
    t = autotvm.task("conv2d_nchw", (1, 64, 56, 56, 64, 3, 3, 1, 1))
    assert t.key == "conv2d_nchw(1, 64, 56, 56, 64, 3, 3, 1, 1)"
    assert t.flop == 2 * 64 * 56 * 56 * 64 * 9
    assert autotvm.task("batch_matmul", (2, 8, 16, 4)).flop == 2 * 2 * 8 * 16 * 4
    assert set(autotvm.TEMPLATES) >= {"dense", "matmul", "batch_matmul", "conv2d_nchw", "depthwise_conv2d_nchw"}
    for name, args in [("dense", (4, 32, 64)), ("depthwise_conv2d_nchw", (1, 8, 9, 9, 3, 3, 2, 1))]:
        t = autotvm.task(name, args)
        assert t.fallback.is_fallback and 0 <= t.fallback.index < len(t.space)
        assert t.space.signature() == autotvm.task(name, args).space.signature()
