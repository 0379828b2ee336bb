"""dedup.dask.collapse and dedup.dask.blocks equal dedup.collapse and dedup.blocks on the computed frame.

Runs on one LocalCluster of 2 worker processes for the whole module, at 1, 3
and 7 partitions. Skipped when the ``dask`` extra is not installed.
"""

from __future__ import annotations

import numpy as np
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

import dedup  # noqa: E402
import dedup.dask as ddk  # noqa: E402
from benchmarks.harness import crawl  # noqa: E402

COLUMNS = ["id", "start", "end", "kind", "source_id", "source_start", "source_end", "similarity"]


def crawl_frame(n=300, seed=3):
    pages = list(crawl.pages(n, seed))
    return pd.DataFrame({"id": [p.id for p in pages], "text": [p.text for p in pages],
                         "site": [int(p.id.split("/")[0][4:]) for p in pages]})


def seed_frame(seeds):
    """The seed articles, then a copy of each with its first line changed (later copies lose their shared
    blocks), so that there is something to collapse across documents."""
    rows = list(seeds) + [(f"copy-{name}", "A new first line of this copy\n" + text.split("\n", 1)[1])
                          for name, text in seeds]
    return pd.DataFrame({"id": [r[0] for r in rows], "text": [r[1] for r in rows]})


@pytest.fixture(scope="module")
def client():
    _warm()  # compiled and cached here: the workers load the kernels from numba's cache
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def _warm():
    with dask.config.set(scheduler="sync"):
        df = crawl_frame(20)
        for mode in ("keep_first", "remove_all"):
            out = ddk.collapse(dd.from_pandas(df, npartitions=2), mode=mode)
            dask.compute(out.docs, out.removals)


def partitioned(df, npartitions):
    """``df`` in ``npartitions`` partitions of uneven sizes (some empty when there are few rows)."""
    ddf = dd.from_pandas(df, npartitions=min(npartitions, 3), sort=False)
    if npartitions > 3:
        ddf = ddf.repartition(npartitions=npartitions)
        ddf = ddf[ddf["id"].map(lambda x: True, meta=("id", bool))]
    return ddf


def rows(frame) -> list:
    """A removals frame's rows as lists, nulls as None (the local frame infers its dtypes, Dask's are fixed)."""
    frame = frame[COLUMNS].astype(object)
    return frame.where(frame.notna(), None).values.tolist()


def check(ddf, **options):
    """``dedup.dask.collapse(ddf)`` equals ``dedup.collapse(ddf.compute())``; returns the run's info."""
    want = dedup.collapse(ddf.compute(), **options)
    out, info = ddk.collapse(ddf, return_info=True, **options)
    docs, removals = dask.compute(out.docs, out.removals)
    assert out.docs.npartitions == out.removals.npartitions == ddf.npartitions
    pd.testing.assert_frame_equal(docs, want.docs)
    assert list(removals.columns) == COLUMNS
    assert removals.index.tolist() == list(range(len(want.removals)))
    assert rows(removals) == rows(want.removals)
    assert removals.dtypes.to_dict() == out.removals.dtypes.to_dict()  # the meta is what the parts hold
    assert info["removals"] == len(removals) and info["documents"] == len(docs)
    return info, removals


@pytest.mark.parametrize("mode", ["keep_first", "remove_all"])
@pytest.mark.parametrize("npartitions", [1, 3, 7])
def test_crawl_pages_equal_local_engine(client, mode, npartitions):
    info, removals = check(partitioned(crawl_frame(), npartitions), mode=mode)
    assert {"boilerplate", "repeat"} <= set(removals["kind"])  # frames and stories in many pages, own repeats
    assert ((removals["similarity"] > 0) & (removals["similarity"] < 1)).any()  # edited copies: near, not exact
    assert (removals["id"] != removals["source_id"]).any() and info["partitions"] == npartitions


@pytest.mark.parametrize("mode", ["keep_first", "remove_all"])
@pytest.mark.parametrize("npartitions", [1, 3, 7])
def test_seeds_equal_local_engine(client, seeds, mode, npartitions):
    _, removals = check(partitioned(seed_frame(seeds), npartitions), mode=mode)
    assert len(removals) > 13  # the third seed's own repeats and the copies' shared blocks


def test_report_mode_and_options(client):
    df = crawl_frame(150, seed=4)
    _, removals = check(partitioned(df, 3), mode="report", unit="paragraph", threshold=0.8)
    assert len(removals)
    check(partitioned(df, 3), config=dedup.CollapseConfig(remove=("boilerplate",)), min_docs=4)


def test_many_partitions_are_gathered_in_order_a_window_at_a_time(client):
    """More partitions than the features the client keeps in flight (a task per worker thread)."""
    info, _ = check(dd.from_pandas(crawl_frame(150, seed=2), npartitions=19, sort=False))
    assert info["partitions"] == 19


def test_blocks_equal_local_engine(client, seeds):
    for df in (crawl_frame(200, seed=7), seed_frame(seeds)):
        for npartitions in (1, 3, 7):
            ddf = partitioned(df, npartitions)
            want = dedup.blocks(ddf.compute())
            assert len(want) > 3
            assert ddk.blocks(ddf) == want


def test_client_within_a_tiny_budget_spills_and_gives_the_same_answer(client, tmp_path):
    info, _ = check(partitioned(crawl_frame(200, seed=5), 3), memory=1, workdir=tmp_path)
    assert info["spilled"] and info["disk"] > 0
    assert not any(tmp_path.iterdir())  # the client's work directory is gone


def test_ids_default_to_positions(client):
    df = crawl_frame(120, seed=6)
    ddf = dd.from_pandas(df[["text", "site"]], npartitions=3, sort=False)
    want = dedup.collapse(df["text"].tolist())
    out = ddk.collapse(ddf, id=None)
    docs, removals = dask.compute(out.docs, out.removals)
    assert docs["text"].tolist() == [d.text for d in want] and docs["site"].tolist() == df["site"].tolist()
    expect = [(k, r.start, r.end, r.kind, r.source.id if r.source else None, r.similarity)
              for k, d in enumerate(want) for r in d.removed]
    got = [tuple(x) for x in rows(removals[COLUMNS])]
    assert [(g[0], g[1], g[2], g[3], g[4], g[7]) for g in got] == expect


def test_a_partition_given_differently_the_second_time_is_an_error(client):
    import itertools

    counter = itertools.count()

    def shrink_on_second_read(pdf):  # not pure: the cut reads a partition with one row fewer
        return pdf if next(counter) < 3 else pdf.iloc[1:]

    df = crawl_frame(60)
    ddf = dd.from_pandas(df, npartitions=3).map_partitions(shrink_on_second_read, meta=df.iloc[:0])
    with dask.config.set(scheduler="sync"):
        out = ddk.collapse(ddf)
        with pytest.raises(RuntimeError, match="same partitions each time"):
            out.docs.compute()


def test_bad_input_names_the_problem(client):
    ddf = dd.from_pandas(crawl_frame(10), npartitions=2)
    with pytest.raises(ValueError, match="'body' is not a column"):
        ddk.collapse(ddf, text="body")
    with pytest.raises(TypeError, match="dask.dataframe.DataFrame"):
        ddk.collapse(crawl_frame(10))
    with pytest.raises(TypeError, match="unexpected option 'keep'"):
        ddk.collapse(ddf, keep="first")
    with pytest.raises(ValueError, match="passages=True is not supported on Dask"):
        ddk.collapse(ddf, passages=True)
    with pytest.raises(ValueError, match="mode"):
        ddk.blocks(ddf, mode="drop")
    bad = pd.DataFrame({"id": ["x", "y"], "text": ["a text", None]})
    with pytest.raises(TypeError, match="document 'y'"):
        ddk.collapse(dd.from_pandas(bad, npartitions=1))
    twice = pd.DataFrame({"id": ["x", "y", "z", "x"], "text": ["a", "b", "c", "d"]})
    with pytest.raises(ValueError, match="duplicate document id 'x' in column 'id' at rows 0 and 3"):
        ddk.collapse(dd.from_pandas(twice, npartitions=2, sort=False))
    nulls = pd.DataFrame({"id": ["x", None], "text": ["a", "b"]})
    with pytest.raises(ValueError, match="id column 'id' is null"):
        ddk.collapse(dd.from_pandas(nulls, npartitions=1))


def test_cli_collapse_on_dask_writes_what_the_local_engine_writes(client, tmp_path):
    import json
    import subprocess

    from tests.test_dask import _near_dups

    df = crawl_frame(120, seed=8)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in zip(df["id"], df["text"])))
    outputs = {}
    work = tmp_path / "work"
    for name, flags in [("local", []), ("dask", ["--dask", "--memory", "1K", "--workdir", str(work)]),
                        ("scheduler", ["--scheduler", client.scheduler.address])]:
        out = tmp_path / f"{name}.jsonl"
        r = subprocess.run([*_near_dups(), "collapse", str(src), "-o", str(out), "--id-field", "id", "--mode",
                            "remove_all", "-q", *flags], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        outputs[name] = (out.read_text(), (tmp_path / f"{name}.removals.jsonl").read_text())
    assert outputs["local"][1].count("\n") > 100  # something was removed
    assert outputs["dask"] == outputs["local"] == outputs["scheduler"]
    r = subprocess.run([*_near_dups(), "collapse", str(src), "--dry-run", "--passages", "--dask"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "passages=True is not supported on Dask" in r.stderr
    assert not any(work.iterdir()), "the client's budget spilled to --workdir and its work directory went"
    r = subprocess.run([*_near_dups(), "collapse", str(src), "--dry-run", "--dask", "--keep-workdir"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "--keep-workdir does not apply with --dask" in r.stderr


def test_partitions_featurized_and_cut_a_chunk_at_a_time(monkeypatch):
    """A partition larger than a chunk (``BATCH_CHARS``) is featurized and cut a chunk at a time: the same
    answer. In this process (the synchronous scheduler), where the patched chunk size applies."""
    from dedup._dask import _collapse as dc

    monkeypatch.setattr(dc, "BATCH_CHARS", 30_000)
    with dask.config.set(scheduler="sync"):
        for mode in ("keep_first", "report"):
            check(partitioned(crawl_frame(), 3), mode=mode)


def test_a_partitions_slice_of_the_plan_is_a_byte_a_block(client):
    """What travels in the graph: about a byte per block and 4 per removal, plus its distinct sources."""
    import pickle

    from dedup._dask import _collapse as dc

    ddf = partitioned(crawl_frame(), 3)
    _, p, ids, sizes, budget = ddk._blocks_plan(ddf, "text", "id", None, {}, None, None, 1, {})
    budget.close()
    slices = list(dc.cuts(p, ids, sizes, True))
    size = sum(len(pickle.dumps(c, protocol=5)) for c in slices)
    sources = sum(c.sid.shape[0] for c in slices)
    assert sources < p.removed.shape[0] / 5
    assert size < p.bptr[-1] + 4 * p.removed.shape[0] + 40 * sources + 2000 * len(slices)


def test_both_frames_come_from_one_cut_per_partition(monkeypatch):
    """Computed together, or partition by partition (the k-th of both), each partition is cut once."""
    from dedup._dask import _collapse as dc

    cut, calls = dc.cut_partition, []

    def counted(pdf, c, *args):
        calls.append(c.d0)
        return cut(pdf, c, *args)

    monkeypatch.setattr(dc, "cut_partition", counted)
    with dask.config.set(scheduler="sync"):
        out = ddk.collapse(partitioned(crawl_frame(), 3))
        dask.compute(out.docs, out.removals)
        assert len(calls) == 3
        for d, r in zip(out.docs.to_delayed(), out.removals.to_delayed()):
            dask.compute(d, r)
        assert len(calls) == 6
