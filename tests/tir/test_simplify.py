"""The simplifier: canonical linear forms, division by bounds, guards proved away."""
from hypothesis import given, strategies as st

from workbench.tir import Analyzer, Var, const, simplify
from workbench.tir.analysis import structural_equal
from workbench.tir.expr import IntImm, Min


def test_cancels_terms():
    i = Var("i")
    assert simplify((i * 32 + 31) - i * 32 + 1).value == 32
    assert structural_equal(simplify(i * 2 + i * 3 - i), simplify(i * 4))


def test_div_mod_with_bounds():
    i, j = Var("i"), Var("j")
    an = Analyzer({i: (0, 31), j: (0, 7)})
    assert simplify((i * 8 + j) // 8, an) is i
    assert simplify((i * 8 + j) % 8, an) is j
    assert isinstance(simplify((i * 8 + j + 3) // 4, an), type(i * 2 + (j + 3) // 4))
    assert simplify(((i * 8 + j) // 4) // 2, an) is i


def test_guards_proved():
    i, j = Var("i"), Var("j")
    an = Analyzer({i: (0, 31), j: (0, 7)})
    assert simplify(i * 8 + j < 256, an).value == 1
    assert not isinstance(simplify(i * 8 + j < 255, an), IntImm)
    assert simplify(i * 8 + j >= 0, an).value == 1


def test_min_max_by_difference():
    i = Var("i")
    assert simplify(Min(i + 1, i + 3, "int64")) is not None
    assert structural_equal(simplify(Min(i + 1, i + 3, "int64")), simplify(i + 1))


def test_float_identities_only():
    x = Var("x", "float32")
    assert simplify(x * 1.0) is x
    # x * 0 is not folded for floats (NaN * 0 is NaN)
    assert not isinstance(simplify(x * 0.0), type(const(0.0)))


@given(st.integers(-200, 200), st.integers(1, 17), st.integers(0, 5), st.integers(-20, 20))
def test_floordiv_floormod_agree_with_python(a, c, k, b):
    """(k*c*x + a) // c and % c keep Python semantics for every x in range."""
    x = Var("x")
    an = Analyzer({x: (0, 9)})
    e_div = simplify((x * (k * c) + a + b) // c, an)
    e_mod = simplify((x * (k * c) + a + b) % c, an)
    for xv in range(10):
        env = {x: xv}
        assert _eval(e_div, env) == (xv * k * c + a + b) // c
        assert _eval(e_mod, env) == (xv * k * c + a + b) % c


def _eval(e, env):
    from workbench.tir import expr as E
    if isinstance(e, E.IntImm):
        return e.value
    if isinstance(e, E.Var):
        return env[e]
    ops = {E.Add: lambda a, b: a + b, E.Sub: lambda a, b: a - b, E.Mul: lambda a, b: a * b,
           E.FloorDiv: lambda a, b: a // b, E.FloorMod: lambda a, b: a % b, E.Min: min, E.Max: max}
    return ops[type(e)](_eval(e.a, env), _eval(e.b, env))


def test_int_division_fold_is_exact_and_truncates():
    from workbench.tir.expr import Div
    assert simplify(Div(IntImm(10 ** 17 + 3), IntImm(3), "int64")).value == (10 ** 17 + 3) // 3
    assert simplify(Div(IntImm(-7), IntImm(2), "int64")).value == -3
    assert simplify(Div(IntImm(7), IntImm(-2), "int64")).value == -3
