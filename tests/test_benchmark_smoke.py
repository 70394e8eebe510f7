"""The benchmark runs and produces numbers (a smoke run: no timing is asserted)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench.py"


def test_quick_benchmark_produces_every_section(monkeypatch):
    monkeypatch.delenv("BOTOSTUB_EC2_STRICT", raising=False)  # measure the default mode
    spec = importlib.util.spec_from_file_location("bench_smoke", BENCH)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_smoke", bench)  # dataclasses look their module up
    spec.loader.exec_module(bench)
    report = bench.main(["--quick", "--json", "-"])
    assert set(report["sections"]) == {"per-call", "per-test", "import", "scale", "threads",
                                      "sqlite"}
    for section in report["sections"].values():
        assert section["rows"], section
        for row in section["rows"]:
            numbers = [v for k, v in row.items() if k != "scenario"]
            assert numbers and all(math.isfinite(v) and v > 0 for v in numbers), row
