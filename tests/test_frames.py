"""Data frames as ``docs`` (pandas, polars, pyarrow, datasets) and results as frames: equal to the list path."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tests.support.planted import planted_corpus

import dedup
from dedup._core import _config
from dedup._text import _documents as _docs
from dedup._indexing import _pipeline
from dedup._text._utf8 import Utf8Texts

pa = pytest.importorskip("pyarrow")

OPTS = dict(threshold=0.7, ngram=3)
# Words that fold (NFKC + casefold) differently from their bytes, and one (a combining
# mark after its base) that only CPython normalizes: both of the Arrow path's branches.
ODD = ["Straße", "ﬁsh", "Ｆｕｌｌ", "café", "cafe\u0301", "ÉCOLE", "東京都", "naïve", "😀x"]


@pytest.fixture(scope="module")
def corpus():
    """(ids, texts): planted near-duplicates, a third of them with non-ASCII words, and one blank text."""
    texts = planted_corpus(n_base=150, n_copies=100, words=60, seed=3)
    rng = np.random.default_rng(1)
    out = []
    for k, t in enumerate(texts):
        words = t.split()
        if k % 3 == 0:
            for p in rng.integers(0, len(words), size=4).tolist():
                words[p] = ODD[(p + k) % len(ODD)]
        out.append(" ".join(words))
    out.append("")
    ids = [f"doc{k}" for k in range(len(out))]
    return ids, out


@pytest.fixture(scope="module")
def reference(corpus):
    ids, texts = corpus
    return dedup.index(list(zip(ids, texts)), **OPTS)


def _same(idx, ref, ids=None):
    """``idx`` answers as ``ref`` does, with ``ids`` (default: ``ref``'s) for documents."""
    ids = ref.ids if ids is None else ids
    assert list(idx.ids) == list(ids)
    where = dict(zip(ref.ids, ids))
    assert idx.pairs(as_frame=False) == [(where[a], where[b], s) for a, b, s in ref.pairs()]
    assert np.array_equal(idx.labels(as_frame=False), ref.labels())
    assert np.array_equal(idx.keep_mask(as_frame=False), ref.keep_mask())
    assert ref.pairs(), "the corpus must have near-duplicates"


# ------------------------------------------------------------------ containers in
def _pandas_frame(ids, texts, dtype=None):
    pd = pytest.importorskip("pandas")
    return pd.DataFrame({"id": ids, "text": pd.Series(texts, dtype=dtype), "n": range(len(ids))})


CONTAINERS = {
    "pandas DataFrame": lambda ids, texts: _pandas_frame(ids, texts),
    "pandas DataFrame, object column": lambda ids, texts: _pandas_frame(ids, texts, object),
    "pandas DataFrame, ArrowDtype": lambda ids, texts: _pandas_frame(
        ids, texts, pytest.importorskip("pandas").ArrowDtype(pa.large_string())),
    "polars DataFrame": lambda ids, texts: pytest.importorskip("polars").DataFrame({"id": ids, "text": texts}),
    "pyarrow Table": lambda ids, texts: pa.table({"text": texts, "id": ids}),
    "pyarrow RecordBatch": lambda ids, texts: pa.record_batch({"id": ids, "text": texts}),
    "pyarrow Table, chunked": lambda ids, texts: pa.Table.from_batches(
        [pa.record_batch({"id": ids[a:a + 70], "text": pa.array(texts[a:a + 70], pa.string())})
         for a in range(0, len(ids), 70)]),
}


@pytest.mark.parametrize("make", CONTAINERS.values(), ids=CONTAINERS.keys())
def test_frames_with_id_and_text_columns_equal_the_list_path(corpus, reference, make):
    ids, texts = corpus
    _same(dedup.index(make(ids, texts), **OPTS), reference)


COLUMNS = {
    "pyarrow string Array": lambda texts: pa.array(texts, pa.string()),
    "pyarrow large_string Array": lambda texts: pa.array(texts, pa.large_string()),
    "pyarrow string_view Array": lambda texts: pa.array(texts, pa.string_view()),
    "pyarrow sliced Array": lambda texts: pa.array(["skipped"] + texts + ["skipped"]).slice(1, len(texts)),
    "pyarrow ChunkedArray": lambda texts: pa.chunked_array([texts[:100], texts[100:180], [], texts[180:]]),
    "polars Series": lambda texts: pytest.importorskip("polars").Series("t", texts),
    "pandas Series": lambda texts: pytest.importorskip("pandas").Series(texts),
}


@pytest.mark.parametrize("make", COLUMNS.values(), ids=COLUMNS.keys())
def test_text_columns_have_positions_as_ids(corpus, reference, make):
    _, texts = corpus
    _same(dedup.index(make(texts), **OPTS), reference, ids=list(range(len(texts))))


def test_pandas_series_index_gives_the_ids(corpus, reference):
    pd = pytest.importorskip("pandas")
    ids, texts = corpus
    s = pd.Series(texts, index=pd.Index(ids, name="key"))
    _same(dedup.index(s, **OPTS), reference)
    df = pd.DataFrame({"body": texts}, index=[10 * k + 5 for k in range(len(ids))])  # no id column: the index
    _same(dedup.index(df, text="body", **OPTS), reference, ids=df.index.tolist())


def test_text_and_id_name_the_columns(corpus, reference):
    pl = pytest.importorskip("polars")
    ids, texts = corpus
    df = pl.DataFrame({"id": list(range(len(ids))), "key": ids, "body": texts})
    _same(dedup.index(df, text="body", id="key", **OPTS), reference)
    _same(dedup.index(pa.table({"body": texts}), text="body", **OPTS), reference, ids=list(range(len(ids))))


def test_datasets_dataset(corpus, reference):
    datasets = pytest.importorskip("datasets")
    ids, texts = corpus
    ds = datasets.Dataset.from_dict({"id": ids, "text": texts})
    _same(dedup.index(ds, **OPTS), reference)
    sub = ds.select(range(0, len(ids), 2))  # an indices mapping over the same table
    ref = dedup.index(list(zip(ids[::2], texts[::2])), **OPTS)
    assert dedup.index(sub, **OPTS).pairs(as_frame=False) == ref.pairs()
    assert dedup.index(ds, **OPTS).pairs().to_pylist() == [dict(id_a=a, id_b=b, jaccard=s)
                                                         for a, b, s in reference.pairs()]
    pages = datasets.Dataset.from_dict({"id": ["p1", "p2", "p3", "p4"], "text": PAGES})
    out = dedup.collapse(pages, min_docs=3, min_words=1, fuzzy_words=1)
    want = dedup.collapse(list(zip(pages["id"], PAGES)), min_docs=3, min_words=1, fuzzy_words=1)
    assert out.docs["text"] == [d.text for d in want] and out.docs["id"] == ["p1", "p2", "p3", "p4"]
    assert out.removals.num_rows == sum(len(d.removed) for d in want) > 0


def test_the_issue_case_a_dataframe_is_no_longer_its_column_names():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"id": [7, 8, 9], "text": ["the quick brown fox jumps", "The quick brown fox jumps!", "x y"]})
    idx = dedup.index(df, ngram=2)
    assert idx.ids == [7, 8, 9]
    assert idx.pairs(as_frame=False) == [(7, 8, 1.0)]


def test_over_the_memory_budget_frames_stream_in_chunks(corpus, reference, monkeypatch):
    pl = pytest.importorskip("polars")
    ids, texts = corpus
    monkeypatch.setattr(_pipeline, "BATCH_CHARS", 5000)  # many chunks, each a slice of the Arrow buffer
    idx = dedup.index(pl.DataFrame({"id": ids, "text": texts}), memory="1KB", **OPTS)
    assert idx.stats.get("spilled")
    _same(idx, reference)


def test_iter_documents_cuts_a_frame_into_chunks(corpus):
    ids, texts = corpus
    chunks = list(_docs.iter_documents(pa.table({"id": ids, "text": texts}), 4000))
    assert len(chunks) > 3
    assert [x for c, _ in chunks for x in c] == ids
    assert [x for _, t in chunks for x in t] == texts
    assert _docs.as_documents(pa.table({"id": ids, "text": texts})) == (ids, texts)


# --------------------------------------------------------------- the UTF-8 path
@settings(max_examples=60, deadline=None)
@example(["plain ASCII Text", "MORE"])  # folded over its own bytes, nothing to pack
@example(["ﬁsh Ｆｕｌｌ ™", "x"])  # shrinks: packed leftwards in place
@example(["½ cup", "İstanbul", "x"])  # grows: CPython folds it
@example(["cafe\u0301", "ΐ", ""])  # a combining mark after its base: CPython folds it
@given(st.lists(st.text(st.characters(exclude_categories=("Cs",)), max_size=60), min_size=1, max_size=30))
def test_arrow_buffers_featurize_as_str_lists(texts):
    cfg = _config.Config(ngram=2)
    arr = pa.array(texts, pa.large_string())
    _, column = _docs.as_documents(arr, utf8=True)
    assert isinstance(column, Utf8Texts)
    assert column.lengths().tolist() == [len(t) for t in texts]
    assert column.tolist() == texts and column[1:].tolist() == texts[1:]
    want, got = _pipeline.featurize(texts, cfg), _pipeline.featurize(column, cfg)
    for a, b in zip(want, got):
        assert np.array_equal(a, b)


# ---------------------------------------------------------------------- errors
def test_a_frame_without_the_text_column_names_its_columns():
    pd = pytest.importorskip("pandas")
    with pytest.raises(ValueError, match=r"text='text' is not a column of the DataFrame; columns are \['id', 'body'\]"):
        dedup.index(pd.DataFrame({"id": [1], "body": ["a b"]}))
    with pytest.raises(ValueError, match=r"id='key' is not a column of the Table; columns are \['text'\]"):
        dedup.index(pa.table({"text": ["a b"]}), id="key")
    with pytest.raises(TypeError, match="text= and id= name the columns of a data frame"):
        dedup.index(["a b"], text="body")
    with pytest.raises(TypeError, match="docs is a pyarrow array, which is the text column itself"):
        dedup.index(pa.array(["a b"]), text="body")


def test_null_texts_are_refused_naming_the_row():
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    with pytest.raises(ValueError, match=r"document 'b' \(row 1\): text is null in column 'text'"):
        dedup.index(pd.DataFrame({"id": ["a", "b"], "text": ["x y", None]}))
    with pytest.raises(ValueError, match=r"document 'b' \(row 1\): text is null in column 'text'"):
        dedup.index(pd.DataFrame({"id": ["a", "b"], "text": pd.Series(["x y", None], dtype=object)}))
    with pytest.raises(ValueError, match=r"document 2 \(row 2\): text is null"):
        dedup.index(pl.Series(["x y", "z", None]))
    with pytest.raises(ValueError, match=r"document 1 \(row 1\): text is null"):
        dedup.index(pa.chunked_array([["x y"], [None, "z"]]))
    with pytest.raises(ValueError, match=r"row 1: id column 'id' is null"):
        dedup.index(pa.table({"id": ["a", None], "text": ["x", "y"]}))


def test_duplicate_ids_are_refused():
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    with pytest.raises(ValueError, match=r"duplicate document id 'a' in column 'id' at rows 0 and 2"):
        dedup.index(pl.DataFrame({"id": ["a", "b", "a"], "text": ["x", "y", "z"]}))
    with pytest.raises(ValueError, match=r"duplicate document id 3 in the index at rows 0 and 1"):
        dedup.index(pd.Series(["x", "y"], index=[3, 3]))


def test_columns_that_are_not_text_are_refused():
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    with pytest.raises(TypeError, match=r"column 'text' holds bytes \(binary\), not text; decode it first"):
        dedup.index(pa.table({"text": pa.array([b"x"], pa.binary())}))
    with pytest.raises(TypeError, match=r"column 'text' must hold text \(str\), got dtype int64"):
        dedup.index(pd.DataFrame({"text": [1, 2]}))
    with pytest.raises(TypeError, match=r"document 1 \(row 1\): text must be str, got int"):
        dedup.index(pd.DataFrame({"text": pd.Series(["x", 5], dtype=object)}))
    with pytest.raises(TypeError, match=r"column 'text' must hold text \(pl.String\)"):
        dedup.index(pl.DataFrame({"text": [1.5]}))


def test_empty_frames_give_empty_results():
    pd = pytest.importorskip("pandas")
    for empty in (pa.table({"text": pa.array([], pa.string())}), pd.DataFrame({"text": pd.Series([], dtype=str)})):
        idx = dedup.index(empty)
        assert len(idx) == 0 and len(idx.pairs()) == 0 and len(idx.keep_mask()) == 0


def test_other_shapes_are_refused_naming_the_accepted_ones():
    pl = pytest.importorskip("polars")
    with pytest.raises(TypeError, match="collect"):
        dedup.index(pl.DataFrame({"text": ["a"]}).lazy())

    class Frame:  # a frame-like object from a library not read here
        columns = ["text"]

        def __iter__(self):
            return iter(self.columns)

    for bad in (Frame(), 5, pytest.importorskip("pandas").Index(["a b"])):
        with pytest.raises(TypeError, match="a pandas or polars DataFrame or Series, a pyarrow Table"):
            dedup.index(bad)
    with pytest.raises(TypeError, match="got StringScalar; docs must be an iterable of str"):
        dedup.index([("a", "b c"), pa.scalar("x")])


# ------------------------------------------------------------------ results out
def test_pandas_results_are_frames_aligned_with_the_input(corpus, reference):
    pd = pytest.importorskip("pandas")
    ids, texts = corpus
    df = pd.DataFrame({"text": texts}, index=pd.Index(ids, name="key"))
    idx = dedup.index(df, **OPTS)
    pairs = idx.pairs()
    assert list(pairs.columns) == ["id_a", "id_b", "jaccard"]
    assert list(pairs.itertuples(index=False, name=None)) == reference.pairs()
    labels, keep = idx.labels(), idx.keep_mask(keep="longest")
    assert labels.name == "label" and keep.name == "keep"
    assert labels.index.equals(df.index) and keep.index.equals(df.index)
    assert labels.tolist() == reference.labels().tolist()
    assert keep.tolist() == reference.keep_mask("longest").tolist()
    assert df[idx.keep_mask()].index.tolist() == [i for i in ids if i not in set(reference.duplicates())]
    assert idx.duplicates() == reference.duplicates() and idx.clusters() == reference.clusters()


def test_polars_and_arrow_results(corpus, reference):
    pl = pytest.importorskip("polars")
    ids, texts = corpus
    df = pl.DataFrame({"id": ids, "text": texts})
    idx = dedup.index(df, **OPTS)
    assert isinstance(idx.pairs(), pl.DataFrame) and idx.pairs().rows() == reference.pairs()
    assert df.filter(idx.keep_mask())["id"].to_list() == [i for i in ids if i not in set(reference.duplicates())]
    assert df.with_columns(idx.labels())["label"].to_list() == reference.labels().tolist()
    table = pa.table({"id": ids, "text": texts})
    idx = dedup.index(table, **OPTS)
    assert idx.pairs().to_pylist() == [dict(id_a=a, id_b=b, jaccard=s) for a, b, s in reference.pairs()]
    assert table.filter(idx.keep_mask()).num_rows == int(reference.keep_mask().sum())


def test_as_frame_overrides(corpus, reference):
    pd = pytest.importorskip("pandas")
    ids, texts = corpus
    idx = dedup.index(list(zip(ids, texts)), **OPTS)
    assert isinstance(idx.pairs(), list) and isinstance(idx.labels(), np.ndarray)
    frame = idx.pairs(as_frame=True)
    assert isinstance(frame, pd.DataFrame) and list(frame.itertuples(index=False, name=None)) == reference.pairs()
    assert idx.keep_mask(as_frame=True).index.tolist() == ids
    with pytest.raises(TypeError, match="as_frame must be None"):
        idx.pairs(as_frame="pandas")


def test_keep_names_a_priority_column(corpus, reference):
    pd = pytest.importorskip("pandas")
    ids, texts = corpus
    prio = [float(len(t) % 7) for t in texts]
    idx = dedup.index(pd.DataFrame({"id": ids, "text": texts, "score": prio}), keep="score", **OPTS)
    assert idx.keep == "priority"
    assert idx.duplicates() == reference.duplicates(keep=prio)
    with pytest.raises(ValueError, match=r"keep='nope' is neither a policy nor a column of docs"):
        dedup.index(pd.DataFrame({"text": ["a"]}), keep="nope")


def test_add_frames(corpus, reference):
    pd = pytest.importorskip("pandas")
    ids, texts = corpus
    df = pd.DataFrame({"id": ids, "text": texts})
    idx = dedup.index(df[:120], **OPTS).add(df[120:])
    _same(idx, reference)
    assert idx.labels().index.tolist() == ids  # after add, indexed by id
    pos = dedup.index(pa.array(texts[:120]), **OPTS).add(pa.array(texts[120:]))  # positions continue
    _same(pos, reference, ids=list(range(len(ids))))
    held, want_held = [], []
    new = dedup.index(df[:120], **OPTS).filter_new(df[120:], held=held)
    want = dedup.index(list(zip(ids[:120], texts[:120])), **OPTS).filter_new(list(zip(ids[120:], texts[120:])),
                                                                           held=want_held)
    assert new == want and held == want_held and held


# -------------------------------------------------------------------- collapse
PAGES = ["Home | News | Sport\nFirst story here, with words.\nShare this\n",
         "Home | News | Sport\nAnother article about rain today.\nShare this\n",
         "Home | News | Sport\nA third, unrelated page of text.\nShare this\nShare this\n",
         "Plain text without any frame at all."]


def test_collapse_a_frame_gives_the_cleaned_frame_and_its_removals():
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    ids = ["p1", "p2", "p3", "p4"]
    want = dedup.collapse(list(zip(ids, PAGES)), min_docs=3, min_words=1, fuzzy_words=1)
    records = [(d.id, r.start, r.end, r.kind, *(r.source or (None, None, None)), r.similarity)
               for d in want for r in d.removed]
    assert records, "the pages must share blocks"
    df = pd.DataFrame({"id": ids, "text": PAGES, "n": [1, 2, 3, 4]}, index=[9, 8, 7, 6])
    out = dedup.collapse(df, min_docs=3, min_words=1, fuzzy_words=1)
    assert out.docs["text"].tolist() == [d.text for d in want]
    assert out.docs.index.tolist() == [9, 8, 7, 6] and out.docs["n"].tolist() == [1, 2, 3, 4]
    assert df["text"].tolist() == PAGES  # the input is not modified
    cols = ["id", "start", "end", "kind", "source_id", "source_start", "source_end", "similarity"]
    assert list(out.removals.columns) == cols
    got = [tuple(None if v is None or v != v else v for v in row) for row in out.removals.itertuples(index=False)]
    assert got == records
    pout = dedup.collapse(pl.DataFrame({"id": ids, "body": PAGES}), text="body", min_docs=3, min_words=1,
                          fuzzy_words=1)
    assert pout.docs["body"].to_list() == [d.text for d in want]
    assert pout.removals.rows() == records
    aout = dedup.collapse(pa.array(PAGES), min_docs=3, min_words=1, fuzzy_words=1)
    assert aout.docs.to_pylist() == [d.text for d in want]
    assert aout.removals.column("id").to_pylist() == [ids.index(r[0]) for r in records]
    # blocks takes frames too, as lists of records
    assert dedup.blocks(df, min_docs=3) == dedup.blocks(list(zip(ids, PAGES)), min_docs=3)
