"""Corpus loading for the benchmarks.

The real corpora live outside the repo, in ``../shared/data`` next to the
checkout (see its README); they are never copied here. Every fixture that
needs one skips its test cleanly when the file is absent, so
``python -m pytest benchmarks/ --benchmark-only`` on a bare checkout reports skips, not
errors.

The comparison (see ``test_compare.py`` and ``RESULTS.md``):

    python -m pytest benchmarks/compare/test_truth.py benchmarks/compare/test_compare.py benchmarks/compare/test_limits.py \
        benchmarks/compare/test_threads.py benchmarks/compare/test_cold_start.py -o addopts="" --benchmark-only \
        --benchmark-json=benchmarks/results/compare/results.json
    python -m benchmarks.harness.report benchmarks/results/compare/results.json > table.md

The hooks below put the CPU model, memory, library versions and thread
defaults (``protocol.machine``) and the command line into that JSON.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numba
import pytest

from benchmarks.harness.corpus import DATA_DIR, Corpus, load


def _corpus_or_skip(name: str, limit: int | None = None) -> Corpus:
    path = DATA_DIR / f"{name}.jsonl.gz"
    if not path.exists():
        pytest.skip(f"corpus {path} not found (benchmarks need ../shared/data next to the repo)")
    return load(name, limit=limit)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA_DIR.is_dir():
        pytest.skip(f"{DATA_DIR} not found (benchmarks need ../shared/data next to the repo)")
    return DATA_DIR


@pytest.fixture(scope="session")
def newsgroups() -> Corpus:
    """20 Newsgroups, all 18,846 posts (field ``text``): the end-to-end corpus."""
    return _corpus_or_skip("newsgroups")


@pytest.fixture(scope="session")
def wikipedia() -> Corpus:
    """8,000 Wikipedia articles, about 127 MB of UTF-8: the throughput corpus."""
    return _corpus_or_skip("wikipedia")


@pytest.fixture(scope="session")
def pair_results() -> dict:
    """``{(contender, n_docs): pairs}`` kept by the end-to-end runs for the agreement check."""
    return {}


@pytest.fixture
def threads(request):
    """numba threads for one benchmark (``indirect`` parameter), restored after."""
    default = numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(min(request.param, default))
    yield numba.get_num_threads()
    numba.set_num_threads(default)


def pytest_benchmark_update_machine_info(config, machine_info):
    """CPU model (lscpu, /proc/cpuinfo), memory, library versions and thread defaults, in the JSON."""
    from benchmarks.harness.protocol import machine

    machine_info["near_dups"] = machine()


def pytest_benchmark_update_json(config, benchmarks, output_json):
    """The command that made the file, so every table can name it."""
    import shlex

    output_json["command"] = " ".join(shlex.quote(a) for a in sys.argv)
    output_json["cwd"] = str(Path.cwd())
    output_json["env"] = {k: v for k, v in os.environ.items() if k.startswith(("NEAR_DUPS_BENCH", "NUMBA_", "RAYON_"))}
