"""The benchmark harness's own logic: the control kernels, the interleaved
ladder's summary and the thread table's ceiling columns.

These read the JSON the benchmarks write; a wrong median or a column read
from the wrong contender would put a wrong figure in the README."""

from __future__ import annotations

import statistics

import numba
import pytest

from benchmarks.harness import ceiling, plot_ladder, report


def _reference(kind: str, tasks: int, steps: int) -> int:
    """The control kernels in plain Python, modulo 2**64: what every task computes."""
    m = (1 << 64) - 1
    acc = 0
    for t in range(tasks):
        if kind == "latency":
            x = t + 1
            for i in range(steps):
                x = (x * 0x9E3779B97F4A7C15 + i) & m
                x ^= x >> 29
            acc ^= x
        else:
            v = [t + 1 + k for k in (0, 3, 5, 7, 9, 11, 13, 15)]
            shifts = [(7, ">"), (9, ">"), (11, ">"), (13, ">"), (7, "<"), (9, "<"), (11, "<"), (13, "<")]
            for i in range(steps):
                v = [((x ^ (x >> s if d == ">" else (x << s) & m)) + i) & m for x, (s, d) in zip(v, shifts)]
            out = 0
            for x in v:
                out ^= x
            acc ^= out
    return acc


@pytest.mark.parametrize("kind", sorted(ceiling.KERNELS))
def test_control_kernels_match_python(kind, monkeypatch):
    monkeypatch.setitem(ceiling.STEPS, kind, 50)
    want = _reference(kind, ceiling.TASKS, 50)
    before = numba.get_num_threads()
    for threads in (1, 2):
        assert ceiling.control(kind, threads)(None) == want
    assert numba.get_num_threads() == before  # the thread count is given back


def _interleaved_rung(walls: dict, docs: int = 1000) -> dict:
    rows = {name: {"description": name, "threads": 2, "wall_s": w, "cpu_s": [2 * x for x in w], "stable": True,
                   "pairs": 9, "truth_pairs": 10, "recall": 0.9, "precision": 1.0, "missed": [], "extra": [],
                   "clusters_equal_truth": False, "warmup": {}} for name, w in walls.items()}
    return {"stats": {"median": 1.0, "min": 1.0, "max": 1.0, "rounds": 1},
            "extra_info": {"ladder": "e2e-interleaved", "contender": "all", "docs": docs, "bytes": 10**6,
                           "words": 4500, "loadavg_before": 0.5, "loadavg_after": 0.7, "rows": rows,
                           "rounds": [{"load_before": [0.4, 0, 0], "load_after": [1.5, 0, 0]}]}}


def test_ladder_summary_reads_every_contender_of_an_interleaved_rung():
    walls = {"dedup": [0.3, 0.1, 0.2, 0.9, 0.15], "gaoya": [2.0, 3.0, 1.0, 4.0, 9.0]}
    s = plot_ladder.collect({"benchmarks": [_interleaved_rung(walls)]})
    rows = {r["contender"]: r for r in s["e2e"]}
    assert set(rows) == set(walls)
    for name, w in walls.items():
        r = rows[name]
        assert (r["median_s"], r["min_s"], r["max_s"], r["rounds"]) == (statistics.median(w), min(w), max(w), 5)
        assert r["cpu_s"] == statistics.median(2 * x for x in w)
    assert s["loadavg_range"] == [0.4, 1.5]
    table = "\n".join(plot_ladder.ladder_table(s))
    assert "| 1k | gaoya | 3.00 |" in table and "15.0x" in table  # 3.0 s / 0.2 s


def test_thread_report_sets_the_machine_ceiling_beside_near_dups():
    def row(k, walls):
        return {"threads": k, "wall_s": walls, "median": statistics.median(walls), "min": min(walls),
                "max": max(walls), "mb_per_s": 100 / statistics.median(walls), "first_wall_s": walls,
                "first_median": statistics.median(walls)}

    ceiling = {"alu": {"speedup": 1.5, "per_round": [1.4, 1.6]}, "latency": {"speedup": 1.97, "per_round": [2.0, 1.9]}}
    bench = {"extra_info": {"kind": "threads", "corpus": "wikipedia", "docs": 8000, "bytes": 10**8,
                            "rows": {"near-dups, 1 thread": row(1, [1.0, 1.2]), "near-dups, 2 threads": row(2, [0.6, 0.6])},
                            "speedup": 1.1 / 0.6, "per_round": [1.667, 2.0], "ceiling": ceiling}}
    text = "\n".join(report.threads([bench]))
    assert "| 1.83x |" in text and "1.50x / 1.97x" in text
    assert "near-dups 1.67 2.00; alu 1.40 1.60; latency 2.00 1.90." in text
    targets = "\n".join(report.targets({"benchmarks": [bench]}))
    assert "Wikipedia: 1.83x (target >= 1.8x): met" in targets and "alu kernel 1.50x, latency kernel 1.97x" in targets
