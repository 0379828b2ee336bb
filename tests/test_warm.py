"""The first run's second process (``dedup._passages._warm``): the width it compiles for, and that it fills numba's cache."""

from __future__ import annotations

import os

import pytest

from dedup._text import _codepoints
from dedup._passages import _warm


@pytest.mark.parametrize("texts", [
    [], [""], ["plain ascii"], ["café", "naïve"], ["ÿ"], ["ā"], ["one", "curly ’quotes’"], ["\uffff"],
    ["emoji 😀"], ["lone \ud800 surrogate"], ["a", "", "b\U00010000"],
])
def test_width_is_the_width_code_points_chooses(texts):
    assert _codepoints.code_point_width(texts) == _codepoints.code_points(texts)[0].dtype.name


def test_the_child_fills_numba_cache_with_the_passage_kernels(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    proc = _warm.start(["a text of curly ’quotes’"], 8)
    _warm.finish(proc, timeout=600)
    assert proc.returncode == 0
    cached = {name.split(".")[0] for _, _, files in os.walk(tmp_path) for name in files if name.endswith(".nbi")}
    assert {"_tokens", "_seeds", "_align"} <= cached


def test_stop_ends_a_running_child():
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    _warm.stop(proc)
    assert proc.returncode is not None
    _warm.finish(None)  # nothing started: nothing to wait for
