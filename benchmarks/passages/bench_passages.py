"""Shared passages on all of 20 Newsgroups: time per stage on one and two threads, and what is found.

    python -m pytest benchmarks/passages/bench_passages.py -o addopts="" --benchmark-only --benchmark-json=passages_ng.json
    python -m benchmarks.passages.bench_passages passages_ng.json        # the stage table, as in PASSAGES.md

Quoted replies are the natural reuse there: a reply quotes its parent, a
thread quotes one post many times, and signatures and headers repeat. Each
round runs the four stages of ``dedup.passages`` (``_passages``: tokenize,
seed, align, group) on the 18,846 posts with the default ``PassageConfig``,
after one untimed run (kernels compiled, tables built); the stage times of
every round are kept in ``extra_info`` and their medians reported, with the
load average and the CPU. ``test_cold_start`` times a first call in a fresh
process with an empty numba cache (compilation is a CLI user's latency).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from benchmarks.harness.timing import cpu_timed

from dedup._passages import _find as _passages, _groups
from dedup._text import _codepoints, _tokens

THREADS = [1, 2]
ROUNDS = 5
STAGES = ("tokenize", "seed", "align", "group")


def _cpu() -> str:
    out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    return next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), "?")


def run_stages(texts, config, times: dict | None = None):
    """``dedup.passages``' stages one by one (the arrays it returns), timing each into ``times``."""
    t0 = time.perf_counter()
    cps, doc_ptr = _codepoints.code_points(texts)
    tokens = _tokens.tokenize_code_points(cps, doc_ptr)
    glue = _groups.word_glue(cps, doc_ptr, tokens)
    t1 = time.perf_counter()
    hits = _passages.seed_stage(tokens, config)
    t2 = time.perf_counter()
    pp = _passages.align_stage(tokens, hits, config)
    t3 = time.perf_counter()
    arrays = _passages.group_stage(tokens, pp, glue)
    t4 = time.perf_counter()
    if times is not None:
        for name, dt in zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            times.setdefault(name, []).append(round(dt, 4))
    return hits, pp, arrays


@pytest.mark.parametrize("threads", THREADS, indirect=True, ids=[f"threads{t}" for t in THREADS])
def test_passages_newsgroups(benchmark, newsgroups, threads):
    texts = list(newsgroups.texts)
    config = _passages.PassageConfig()
    hits, pp, arrays = run_stages(texts, config)  # warm-up: compile, build tables
    times: dict = {}
    benchmark.group = f"passages newsgroups n={len(texts)}"
    benchmark.extra_info.update(
        contender=f"dedup.passages, {threads} thread(s)", corpus="newsgroups", docs=len(texts),
        bytes=newsgroups.nbytes, threads=threads, loadavg_before=[round(x, 2) for x in os.getloadavg()],
        cpu=_cpu(), config=str(config), candidate_pairs=int(hits.pair_a.shape[0]), seed_hits=int(hits.pos_a.shape[0]),
        passages=int(pp.sa.shape[0]), groups=int(arrays.group_ptr.shape[0] - 1),
        occurrences=int(arrays.group_ptr[-1]), stage_s=times)
    benchmark.pedantic(cpu_timed(benchmark, run_stages), args=(texts, config, times), rounds=ROUNDS, iterations=1)
    benchmark.extra_info["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    benchmark.extra_info["stage_median_s"] = {k: statistics.median(v) for k, v in times.items()}


def test_cold_start(benchmark, newsgroups, tmp_path):
    """First ``dedup.passages`` call of a process with an empty numba cache (it compiles every kernel)."""
    code = ("import time; from benchmarks.harness.corpus import load; "
            "texts = list(load('newsgroups').texts)[:200]; import dedup; t = time.perf_counter(); "
            "dedup.passages(texts); print(time.perf_counter() - t)")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))

    def first_call():
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        return float(out.stdout.strip())

    benchmark.group = "passages cold start"
    benchmark.extra_info.update(contender="dedup.passages, first call, empty numba cache",
                                loadavg_before=[round(x, 2) for x in os.getloadavg()])
    seconds = benchmark.pedantic(first_call, rounds=1, iterations=1)
    benchmark.extra_info["first_call_s"] = seconds


def table(path: str) -> str:
    """Markdown table of a ``--benchmark-json`` file: stage medians per thread count."""
    data = json.loads(Path(path).read_text())
    rows = ["| threads | " + " | ".join(STAGES) + " | total (median of rounds) | MB/s | CPU s | load before / after |",
            "|---:|" + "---:|" * (len(STAGES) + 4)]
    for b in data["benchmarks"]:
        info = b["extra_info"]
        if "stage_median_s" not in info:
            continue
        st = info["stage_median_s"]
        total = b["stats"]["median"]
        cpu = statistics.median(info.get("cpu_s", [float("nan")]))
        rows.append(f"| {info['threads']} | " + " | ".join(f"{st[s]:.3f}" for s in STAGES)
                    + f" | {total:.3f} | {info['bytes'] / 1e6 / total:.1f} | {cpu:.2f} | "
                    f"{info['loadavg_before'][0]} / {info['loadavg_after'][0]} |")
    first = next(b["extra_info"] for b in data["benchmarks"] if "stage_median_s" in b["extra_info"])
    rows.append("")
    rows.append(f"{first['docs']} posts, {first['bytes'] / 1e6:.1f} MB; {first['candidate_pairs']} candidate pairs, "
                f"{first['passages']} passages, {first['groups']} groups of {first['occurrences']} occurrences; "
                f"CPU: {first['cpu']}; {first['config']}")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(sys.argv[1]))
