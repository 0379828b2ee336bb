"""The removal lines of a chunk, written by a kernel, against ``json.dumps`` of each record."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup._blocks._decide import KINDS
from dedup.cli import _lines

# Every character class the escaping treats apart: controls, quote, backslash, 1- to 4-byte UTF-8.
CHARS = st.characters(blacklist_categories=("Cs",)) | st.sampled_from('\x00\x01\x08\t\n\x0c\r\x1f"\\\x7f\xe9\u20ac😀')


def _reference(texts, d0, rows, ids) -> str:
    counts, ints, sim = rows
    out, k = [], 0
    for d, text in enumerate(texts):
        for _ in range(counts[d]):
            start, end, kind, sdoc, ss, se = ints[k].tolist()
            src = None if sdoc < 0 else {"id": ids[sdoc], "start": ss, "end": se}
            out.append(json.dumps({"id": ids[d0 + d], "start": start, "end": end, "kind": KINDS[kind],
                                   "similarity": round(float(sim[k]), 6), "source": src, "text": text[start:end]},
                                  ensure_ascii=False) + "\n")
            k += 1
    return "".join(out)


@st.composite
def chunks(draw):
    texts = draw(st.lists(st.text(CHARS, max_size=40), min_size=1, max_size=6))
    d0 = draw(st.integers(0, 3))
    n_ids = d0 + len(texts) + draw(st.integers(0, 3))
    ids = draw(st.lists(st.text(CHARS, max_size=8) | st.integers(-10**12, 10**12), min_size=n_ids, max_size=n_ids))
    counts, rows, sims = [], [], []
    for t in texts:
        spans = draw(st.lists(st.tuples(st.integers(0, len(t)), st.integers(0, len(t))), max_size=4))
        counts.append(len(spans))
        for a, b in spans:
            sdoc = draw(st.integers(-1, n_ids - 1))
            rows.append([min(a, b), max(a, b), draw(st.integers(1, len(KINDS) - 1)), sdoc,
                         draw(st.integers(0, 10**9)), draw(st.integers(0, 10**9))])
            sims.append(draw(st.sampled_from([0.0, 1.0, 0.5, 1 / 3, 0.8571428571, 0.1234565])))
    return texts, d0, ids, (np.array(counts, dtype=np.int64), np.array(rows, dtype=np.int64).reshape(-1, 6),
                            np.array(sims, dtype=np.float64))


@settings(max_examples=300, deadline=None)
@given(chunks())
def test_removal_lines_are_json_dumps_of_each_record(chunk):
    texts, d0, ids, rows = chunk
    got = _lines.removal_lines(texts, d0, rows, lambda p: json.dumps(ids[p], ensure_ascii=False))
    assert got.decode("utf-8") == _reference(texts, d0, rows, ids)


def test_a_lone_surrogate_is_left_to_the_caller():
    rows = (np.array([1, 0]), np.array([[0, 3, 1, -1, 0, 0]]), np.array([0.0]))
    assert _lines.removal_lines(["a\ud800b", "ok"], 0, rows, json.dumps) is None
    rows = (np.array([0, 1]), np.array([[0, 2, 1, 0, 0, 3]]), np.array([1.0]))  # the surrogate is not written
    got = _lines.removal_lines(["a\ud800b", "ok"], 0, rows, json.dumps)
    assert got == b'{"id": 1, "start": 0, "end": 2, "kind": "repeat", "similarity": 1.0, "source": {"id": 0, ' \
                  b'"start": 0, "end": 3}, "text": "ok"}\n'
