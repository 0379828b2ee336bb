"""Compiling ahead (``dedup._core._compile``, ``near-dups warm``): the kernel list, the second process, the progress."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import numpy as np
import pytest
from numba import types
from numba.core.registry import CPUDispatcher

from dedup._core import _compile, _kernel_list
from dedup._core._types import FILL, fixed

SPELLINGS = ["int64", "uint64", "float64", "bool", "uint8[1C]", "uint8[1Cr]", "int64[2C]", "uint64[2A]",
             "class(uint16)", "(int64,int64)", "none"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_spelling_reads_back_as_itself(spelling):
    assert _compile.spell(_compile.parse(spelling)) == spelling


def test_spellings_are_numba_types():
    assert _compile.parse("uint8[1Cr]") == types.Array(types.uint8, 1, "C", readonly=True)
    assert _compile.parse("(int64,int64)") == types.UniTuple(types.int64, 2)
    assert _compile.spell(types.literal(0)) is None  # a literal is never listed: a call from Python has none
    with pytest.raises(ValueError, match="unknown numba type"):
        _compile.parse("int65")


def test_every_listed_kernel_exists_and_takes_its_types():
    """Every entry names a kernel of dedup and types that parse; the main jobs are listed."""
    assert {"overview", "find", "blocks", "passages"} <= set(_kernel_list.KERNELS)
    for listing in (_kernel_list.KERNELS, _kernel_list.WIDTHS):
        for job, entries in listing.items():
            for module, name, args in entries:
                kernel = getattr(importlib.import_module(module), name)
                assert isinstance(kernel, CPUDispatcher), (job, module, name)
                assert len(args) == kernel.py_func.__code__.co_argcount, (module, name)
                for a in args:
                    _compile.parse(a)
    assert all(_kernel_list.COUNTS[job] > 0 for job in _kernel_list.KERNELS)


def test_kernels_lists_each_once_in_order():
    find = _compile.kernels(["find"])
    assert find == list(dict.fromkeys(_kernel_list.KERNELS["find"]))
    both = _compile.kernels(["find", "blocks"], every_width=True)
    assert both[: len(find)] == find and len(set(both)) == len(both)
    assert set(_kernel_list.WIDTHS.get("blocks", ())) <= set(both)


def test_compile_kernels_fills_the_cache_and_skips_stale_entries(tmp_path):
    """In a fresh cache: a listed kernel is compiled and cached (a second process then loads it); a stale one is
    skipped."""
    script = (
        "from dedup._core import _compile\n"
        "entries = [('dedup._core._arrays', 'band_runs', ('uint64[2C]', 'int64')),\n"
        "           ('dedup._core._arrays', 'no_such_kernel', ('int64',)),\n"
        "           ('dedup._core._arrays', 'band_runs', ('int64', 'int64'))]\n"  # does not type: skipped
        "seen = []\n"
        "print(_compile.compile_kernels(entries, lambda k, n, name: seen.append((k, n, name))), seen)\n"
        "from dedup._core import _arrays\n"
        "print(sum(_arrays.band_runs.stats.cache_hits.values()))\n")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    first = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == ("1 [(0, 3, '_arrays.band_runs'), (1, 3, '_arrays.no_such_kernel'), "
                                            "(2, 3, '_arrays.band_runs')]")
    assert first.stdout.splitlines()[1] == "0"  # compiled here
    again = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert again.stdout.splitlines()[1] == "1"  # loaded from the cache the first filled


def test_fixed_compiles_once_for_its_signature_and_converts():
    from dedup._text import _shingle

    kernel = fixed(_shingle._fill, FILL)
    assert kernel is _shingle._fill and len(kernel.signatures) == 1
    assert fixed(_shingle._fill, FILL) is kernel
    buf = np.frombuffer(b"one two three four", dtype=np.uint8)  # read-only and writable inputs: one version
    from dedup._text import _normalize

    for b in (buf, buf.copy()):
        _shingle.shingle_segments(b, np.array([0]), np.array([b.size]), 2, _shingle.WORDS, _normalize.char_classes())
    assert len(_shingle._fill.signatures) == 1


class _Event:
    def __init__(self, fn, start=True):
        self.data = {"dispatcher": type("D", (), {"py_func": fn})()}
        self.is_start, self.is_end = start, not start


def _kernel():
    pass


def test_progress_counts_dedup_kernels_and_names_them():
    lines = []
    p = _compile.Progress(3, lines.append)
    _kernel.__module__ = "dedup._text._fold"
    p.on_start(_Event(np.empty))  # numba's own overloads are not counted, nor shown before a kernel of dedup
    assert lines == []
    p.on_start(_Event(_kernel))
    p.on_start(_Event(np.empty))  # inside a kernel: the time moves on, the count and name stay
    p.on_end(_Event(np.empty, False))
    p.on_end(_Event(_kernel, False))
    p.on_start(_Event(_kernel))
    assert p.count == 2 and len(lines) == 5
    assert lines[0].startswith("near-dups: compiling the kernels (first run): 1 of 3, _fold._kernel, ")
    assert lines[1].startswith("near-dups: compiling the kernels (first run): 1 of 3, _fold._kernel, ")
    assert lines[-1].startswith("near-dups: compiling the kernels (first run): 2 of 3, _fold._kernel, ")
    assert all(line.endswith(" s") for line in lines)
    for _ in range(3):
        p.on_start(_Event(_kernel))
    assert lines[-1].startswith("near-dups: compiling the kernels (first run): 5 of 5, ")  # never "5 of 3"


def test_no_second_process_when_turned_off(monkeypatch):
    monkeypatch.setenv(_compile.CHILD_ENV, "0")
    assert _compile.start("find") is None
    monkeypatch.delenv(_compile.CHILD_ENV)
    assert _compile.start("no such job") is None


def test_cache_folder_is_where_numba_caches(tmp_path, monkeypatch):
    script = "from dedup._core import _compile; print(_compile.cache_folder())"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().startswith(str(tmp_path))
