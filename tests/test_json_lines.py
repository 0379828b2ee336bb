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
    assert bytes(got).decode("utf-8") == _reference(texts, d0, rows, ids)


def test_a_lone_surrogate_is_left_to_the_caller():
    rows = (np.array([1, 0]), np.array([[0, 3, 1, -1, 0, 0]]), np.array([0.0]))
    assert _lines.removal_lines(["a\ud800b", "ok"], 0, rows, json.dumps) is None
    rows = (np.array([0, 1]), np.array([[0, 2, 1, 0, 0, 3]]), np.array([1.0]))  # the surrogate is not written
    got = _lines.removal_lines(["a\ud800b", "ok"], 0, rows, json.dumps)
    assert bytes(got) == b'{"id": 1, "start": 0, "end": 2, "kind": "repeat", "similarity": 1.0, "source": {"id": 0, ' \
                  b'"start": 0, "end": 3}, "text": "ok"}\n'


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(CHARS, max_size=30), max_size=6))
def test_json_strings_are_json_dumps(texts):
    data, at = _lines.json_strings(texts)
    assert [bytes(data[at[k] : at[k + 1]]).decode("utf-8") for k in range(len(texts))] == \
        [json.dumps(t, ensure_ascii=False) for t in texts]
    assert _lines.json_strings(["ok", "a\udc00"]) is None


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(CHARS),
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.sampled_from(["text", "id", "t\\"]), inner, max_size=3), max_leaves=6)


@st.composite
def records(draw):
    """A JSON object as someone might write it: spacing, key order, escapes, a text field (or two, or none)."""
    keys = draw(st.lists(st.sampled_from(["id", "text", "url", "te\\u0078t", "\u00e9", "text "]), max_size=5))
    seps = draw(st.sampled_from([(", ", ": "), (",", ":"), (" ,\t", " : ")]))
    parts = []
    for k in keys:
        v = draw(JSON_VALUES)
        raw = draw(st.booleans())
        parts.append(f'"{k}"{seps[1]}' + json.dumps(v, ensure_ascii=raw, separators=(seps[0].strip() + " ", ": ")))
    line = draw(st.sampled_from(["", " "])) + "{" + seps[0].join(parts) + "}"
    return line + draw(st.sampled_from(["\n", "\r\n", "", " \n"])), keys


@settings(max_examples=500, deadline=None)
@given(records(), st.text(CHARS, max_size=20))
def test_with_text_is_the_json_round_trip_or_declines(record, new):
    line, keys = record
    raw = line.encode("utf-8")
    rec = json.loads(raw)
    got = _lines.with_text(raw, b"text", "text", json.dumps(new, ensure_ascii=False).encode("utf-8"))
    if keys.count("text") == 1 and not any("\\" in k for k in keys):
        assert got is not None, "a plain record is spliced"
    if got is not None:
        rec["text"] = new
        assert got == json.dumps(rec, ensure_ascii=False).encode("utf-8") + b"\n"


def _canonical(line: bytes, field: str = "text"):
    key = np.frombuffer(json.dumps(field, ensure_ascii=False)[1:-1].encode("utf-8"), dtype=np.uint8)
    b = np.frombuffer(line, dtype=np.uint8)
    return _lines.canonical_span(b, 0, b.shape[0], key, np.empty((2, _lines._MAX_KEYS), dtype=np.int64))


# What json.dumps writes byte for byte as it reads (no float, whose repr the kernel does not check).
PLAIN_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.text(CHARS),
                            lambda inner: st.lists(inner, max_size=3)
                            | st.dictionaries(st.text(CHARS, max_size=4), inner, max_size=3), max_leaves=8)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.text(CHARS, max_size=5), PLAIN_VALUES, max_size=4), st.text(CHARS, max_size=20),
       st.text(CHARS, max_size=20), st.integers(0, 4))
def test_canonical_span_finds_the_text_of_what_json_dumps_writes(rec, old, new, at):
    """A record as ``json.dumps`` writes it: the span of its text's value is found, and the line with the new
    text's JSON put there is ``json.dumps`` of the record with the new text."""
    items = list(rec.items())
    items.insert(min(at, len(items)), ("text", old))
    rec = dict(kv for kv in items if kv[0] != "text" or kv[1] is old)
    line = json.dumps(rec, ensure_ascii=False).encode("utf-8")
    a, b = _canonical(line)
    assert (a, b) != (-1, -1)
    assert line[a:b] == json.dumps(old, ensure_ascii=False).encode("utf-8")
    rec["text"] = new
    assert line[:a] + json.dumps(new, ensure_ascii=False).encode("utf-8") + line[b:] == \
        json.dumps(rec, ensure_ascii=False).encode("utf-8")


@settings(max_examples=1000, deadline=None)
@given(records(), st.text(CHARS, max_size=20))
def test_canonical_span_is_the_json_round_trip_or_declines(record, new):
    """Any record (other spacing, escapes, floats, keys twice, no text): where a span is found, splicing is
    ``json.dumps`` of the record read by ``json.loads`` with the new text; ``json.dumps``' own output is found."""
    line, keys = record
    raw = line.rstrip("\n").encode("utf-8")
    a, b = _canonical(raw)
    rec = json.loads(raw)
    if json.dumps(rec, ensure_ascii=False).encode("utf-8") == raw and "text" in rec and isinstance(rec["text"], str) \
            and not any(isinstance(v, float) for v in _leaves(rec)):
        assert a >= 0, "json.dumps' own output is spliced"
    if a >= 0:
        rec["text"] = new
        assert raw[:a] + json.dumps(new, ensure_ascii=False).encode("utf-8") + raw[b:] == \
            json.dumps(rec, ensure_ascii=False).encode("utf-8")


def _leaves(x):
    if isinstance(x, dict):
        for v in x.values():
            yield from _leaves(v)
    elif isinstance(x, list):
        for v in x:
            yield from _leaves(v)
    else:
        yield x


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=12) | st.sampled_from([b'{"id": 1, "text": "a"}', b'{"text": "\\u00e9"}',
                                                         b'{"text": -0}', b'{"text": "x"} ', b'{"text": 1e5}',
                                                         b'{"id": [1, {"a": 2}], "text": "\\\\"}', b'{"text": "x"}}',
                                                         b'{"text": "x", "id": 00}', b'{"text": "x", "t": tru}',
                                                         b'{"text": "\\ud800"}', b'[{"text": "x"}]']), max_size=8))
def test_canonical_span_of_arbitrary_bytes_is_safe(lines):
    """Bytes that are not a record (or not one ``json.dumps`` writes) are declined, never misread."""
    for raw in lines:
        a, b = _canonical(raw)
        if a < 0:
            continue
        rec = json.loads(raw)  # the text's own value is replaced, written as it may be
        assert isinstance(rec["text"], str) and json.loads(raw[a:b]) == rec["text"]
        rec["text"] = None
        assert json.dumps(rec, ensure_ascii=False).encode("utf-8") == raw[:a] + b"null" + raw[b:]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(records(), st.sampled_from([-2, -1, 0])), max_size=6), st.text(CHARS, max_size=10))
def test_splice_lines_writes_each_line_or_leaves_it_to_the_caller(items, new):
    lines = [(line.rstrip("\n").encode("utf-8"), s) for (line, _), s in items]
    buf = b"".join(raw + b"\n" for raw, _ in lines)
    ls = np.cumsum([0] + [len(raw) + 1 for raw, _ in lines])[:-1].astype(np.int64)
    le = ls + np.array([len(raw) for raw, _ in lines], dtype=np.int64)
    enc = json.dumps(new, ensure_ascii=False).encode("utf-8")
    slot = np.array([s for _, s in lines], dtype=np.int64)
    out, at, rest = _lines.splice_lines(np.frombuffer(buf, dtype=np.uint8), ls, le, slot,
                                        np.frombuffer(enc, dtype=np.uint8), np.array([0, len(enc)]),
                                        np.frombuffer(b"text", dtype=np.uint8))
    for k, (raw, s) in enumerate(lines):
        got = bytes(out[at[k] : at[k + 1]])
        if s == -1:
            assert got == raw + b"\n"
        elif k in rest.tolist():
            assert got == b"" and (s == -2 or _canonical(raw)[0] < 0)
        else:
            rec = json.loads(raw)
            rec["text"] = new
            assert s == 0 and got == json.dumps(rec, ensure_ascii=False).encode("utf-8") + b"\n"


def test_the_new_texts_json_from_the_cuts_code_points_is_json_dumps_of_each(tmp_path):
    """The command writes the new texts' JSON from the code points the cut made (``Held.edited``), not from
    the texts again: the same bytes as ``json.dumps`` of each, also where the chunk's code points are wider than
    its new texts need (the emoji and the curly quote are in removed lines)."""
    import dedup
    from dedup.cli._blocks import _written
    from dedup.cli._render import RemovalLines

    frame = "Site header \U0001F600 menu links here\nAbout \u2019us\u2019 contact us today now"
    docs = [(f"d{k}", f"{frame}\nBody number {k} has words of its own, plain {k * 7}.\n{frame}") for k in range(12)]
    out = dedup.collapse(docs, unit="line", memory="1K", workdir=tmp_path)
    seen = 0
    for d0, cut, originals in out.chunks():
        assert originals.edited is not None
        w = _written(d0, cut, originals, RemovalLines(lambda i: docs[i][0]), True)
        data, offsets = w.json
        for k, d in enumerate(cut):
            if w.slot[k] >= 0:
                assert bytes(data[offsets[w.slot[k]] : offsets[w.slot[k] + 1]]).decode() == \
                    json.dumps(d.text, ensure_ascii=False)
                seen += 1
    assert seen == len(docs)  # every page lost its frame's second copy at least
