"""The golden check: every public answer equals the one recorded in ``tests/golden/``.

A refactor must not move any of them. A change made on purpose re-records the
golden file (``python -m tests.support.golden NAME``) in the same commit.
"""

from __future__ import annotations

import json

import pytest

from tests.support import golden


@pytest.mark.parametrize("name", list(golden.CORPORA))
def test_outputs_equal_the_golden_record(name):
    if not golden.available(name):
        pytest.skip(f"{name}: its data file is not in ../shared/data")
    want = json.loads(golden.golden_file(name).read_text(encoding="utf-8"))
    have = golden.outputs(name)
    assert sorted(have) == sorted(want), "the set of golden outputs changed; re-record on purpose"
    moved = [k for k in want if have[k] != want[k]]
    assert not moved, f"{name}: outputs that moved: {moved}"
