"""Shared fixtures of the widget tests."""
import pytest


@pytest.fixture
def matmul_records(tmp_path):
    """``make(n)``: the path of a records file of ``n`` measured matmul configs (4 per batch)."""
    from workbench.tune import records

    def make(n: int) -> str:
        path = tmp_path / "mm.jsonl"
        rows = []
        for k in range(n):
            res = {"costs": [1e-5 * (1 + k % 3)], "error": "ok", "error_msg": "", "build_seconds": 0.1,
                   "timestamp": float(k // 4)}
            rows.append(records.make_row("matmul", (16, 16, 16), {"index": k, "knobs": {}}, res, target="llvm"))
        records.append(path, rows)
        return str(path)
    return make
