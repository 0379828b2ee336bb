"""The Dask engine equals the local one: same clusters, kept ids and pairs.

Runs on one LocalCluster of 2 worker processes for the whole module. Skipped
when the ``dask`` extra is not installed (``pip install "near-dups[dask]"``).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

import dedup  # noqa: E402
import dedup.dask as ddk  # noqa: E402
from tests.support import load_jsonl  # noqa: E402
from tests.support.planted import planted_corpus  # noqa: E402

#: Kernels that run on the workers (union-find runs on the client).
KERNELS = ("dedup._sketch._minhash._band_keys_into", "dedup._verify._jaccard._jaccard_cross",
           "dedup._core._arrays._fill_serial", "dedup._core._arrays.first_of_runs")


def _planted(n_base=150, n_copies=120, words=60, seed=3):
    docs = planted_corpus(n_base, n_copies, words, seed)
    # exact copies, blank texts, a case-folded copy, and identical texts without words (exact duplicates too)
    docs = docs + docs[5:25] + ["", "!!! ...", docs[7].upper(), " ", "!!! ...", "😀🎉", "😀🎉"]
    return pd.DataFrame({"id": [f"doc{k:04d}" for k in range(len(docs))], "text": docs,
                         "score": np.arange(len(docs)) % 7})


@pytest.fixture(scope="module")
def client():
    # Compile (and cache) every kernel in this process first: the workers
    # then load them from numba's cache instead of compiling.
    _warm()
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def _warm():
    import dask

    with dask.config.set(scheduler="sync"):
        df = _planted(30, 20)
        ddk.find_duplicates(dd.from_pandas(df, npartitions=2), threshold=0.7, pairs=True)
        ddk.find_duplicates(dd.from_pandas(df, npartitions=2), threshold=0.7, max_edges=0)


def _reference(df, text="text", keep="first", **options):
    prio = keep if keep in ("first", "longest") else df[keep].tolist()
    idx = dedup.index(zip(df["id"], df[text]), keep=prio, **options)
    ids = np.array(idx.ids, dtype=object)
    return idx, ids[idx.labels()], idx.keep_mask()


def _check(df, npartitions, keep="first", **options):
    idx, clusters, kept = _reference(df, keep=keep, **options)
    ddf = dd.from_pandas(df, npartitions=npartitions, sort=False)
    labels, pairs, info = ddk.find_duplicates(ddf, keep=keep, pairs=True, return_info=True, **options)
    got = labels.compute()
    assert labels.npartitions == ddf.npartitions
    assert got["id"].tolist() == df["id"].tolist()
    assert got["cluster"].tolist() == clusters.tolist()
    assert got["keep"].tolist() == kept.tolist()
    p = pairs.compute()
    assert list(zip(p["id_a"], p["id_b"], p["score"])) == idx.pairs()
    return info


@pytest.mark.parametrize("npartitions", [1, 2, 5])
def test_planted_equals_local_engine(client, npartitions):
    info = _check(_planted(), npartitions, threshold=0.7)
    assert info["exact_edges"] >= 20 and info["near_edges"] > 20 and info["gathered"]


@pytest.mark.parametrize("keep", ["longest", "score"])
def test_keep_policies(client, keep):
    _check(_planted(), 4, keep=keep, threshold=0.6)


def test_distributed_components_fallback(client):
    df = _planted()
    idx, clusters, kept = _reference(df, keep="longest", threshold=0.7)
    for npartitions in (3,):
        labels, info = ddk.find_duplicates(dd.from_pandas(df, npartitions=npartitions), keep="longest",
                                           threshold=0.7, max_edges=0, return_info=True)
        got = labels.compute()
        assert not info["gathered"] and info["times"]["star_rounds"] >= 2
        assert got["cluster"].tolist() == clusters.tolist()
        assert got["keep"].tolist() == kept.tolist()


def test_real_corpus_sample(client):
    rows = load_jsonl("bbc.jsonl.gz")  # ~100 exact-duplicate pairs
    df = pd.DataFrame({"id": [r["id"] for r in rows], "text": [r["text"] for r in rows]})
    for npartitions in (3,):
        info = _check(df, npartitions, threshold=0.8)
        assert info["exact_edges"] > 50


def test_real_corpus_newsgroups_repartitioned(client):
    rows = load_jsonl("newsgroups.jsonl.gz", 1500)
    df = pd.DataFrame({"id": [r["id"] for r in rows], "text": [r["text"] for r in rows]})
    # uneven partitions, some of them empty
    ddf = dd.from_pandas(df, npartitions=3).repartition(npartitions=6)
    ddf = ddf[ddf["id"].map(lambda x: True, meta=("id", bool))]
    idx, clusters, kept = _reference(df, keep="longest", threshold=0.7)
    got = ddk.find_duplicates(ddf, keep="longest", threshold=0.7).compute()
    assert got["cluster"].tolist() == clusters.tolist() and got["keep"].tolist() == kept.tolist()


def test_drop_duplicates_and_dask_io(client, tmp_path):
    df = _planted()
    idx, _, kept = _reference(df, threshold=0.7)
    dd.from_pandas(df, npartitions=3).to_parquet(tmp_path / "in")
    for columns in (None, ["id", "text"]):  # a projected read: Dask fuses its partitions
        ddf = dd.read_parquet(tmp_path / "in", columns=columns)
        out = ddk.drop_duplicates(ddf, threshold=0.7)
        out.to_parquet(tmp_path / "out", overwrite=True)
        back = dd.read_parquet(tmp_path / "out").compute()
        assert back["id"].tolist() == df["id"][kept].tolist()
        assert list(back.columns) == list(columns or df.columns)


def test_ids_default_to_positions_and_p2p_shuffle(client):
    df = _planted(80, 60)
    idx = dedup.index(df["text"].tolist(), threshold=0.7)
    got = ddk.find_duplicates(dd.from_pandas(df[["text"]], npartitions=3), id=None, threshold=0.7,
                              shuffle_method="p2p").compute()
    assert got["id"].tolist() == list(range(len(df)))
    assert got["cluster"].tolist() == idx.labels().tolist()
    assert got["keep"].tolist() == idx.keep_mask().tolist()


def test_numba_compiles_once_per_worker_from_cache(client):
    def stats():
        import importlib

        out = {}
        for name in KERNELS:
            mod, fn = name.rsplit(".", 1)
            k = getattr(importlib.import_module(mod), fn)
            out[name] = (len(k.signatures), sum(k.stats.cache_hits.values()), sum(k.stats.cache_misses.values()))
        return out

    ddk.find_duplicates(dd.from_pandas(_planted(40, 30), npartitions=4), threshold=0.7)
    per_worker = client.run(stats)
    assert len(per_worker) == 2
    for name in KERNELS:
        ran = [kernels[name] for kernels in per_worker.values() if kernels[name][0]]
        assert ran, name  # some worker ran it
        for signatures, hits, misses in ran:
            assert signatures == 1, name  # compiled for one type signature only
            assert hits >= 1 and misses == 0, (name, hits, misses)  # loaded from numba's cache, not compiled


def test_bad_input_names_the_problem(client):
    ddf = dd.from_pandas(_planted(10, 5), npartitions=2)
    with pytest.raises(ValueError, match="'body' is not a column"):
        ddk.find_duplicates(ddf, text="body")
    with pytest.raises(ValueError, match="keep must be one of"):
        ddk.find_duplicates(ddf, keep="last")
    with pytest.raises(TypeError, match="dask.dataframe.DataFrame"):
        ddk.find_duplicates(_planted(10, 5))
    with pytest.raises(ValueError, match="threshold must be in"):
        ddk.find_duplicates(ddf, threshold=1.5)
    with pytest.raises(ValueError, match="shuffle_method"):
        ddk.find_duplicates(ddf, shuffle_method="fast")
    bad = pd.DataFrame({"id": ["x", "y"], "text": ["a text", None]})
    with pytest.raises(TypeError, match="document 'y'"):
        ddk.find_duplicates(dd.from_pandas(bad, npartitions=1))


def test_missing_extra_names_the_pip_command():
    code = "import sys; sys.modules['dask'] = None\nimport dedup\nimport dedup.dask"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode != 0
    assert 'pip install "near-dups[dask]"' in r.stderr
    r = subprocess.run([sys.executable, "-c", "import sys; sys.modules['dask'] = None\nimport dedup; dedup.index(['a'])"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr  # the core never needs Dask


def _near_dups():
    import os
    import shutil

    script = shutil.which("near-dups", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "dedup.cli"]


def test_cli_dedup_on_dask_writes_what_the_local_engine_writes(client, tmp_path):
    import json

    df = _planted(60, 40)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in zip(df["id"], df["text"])))
    outputs = {}
    for name, flags in [("local", []), ("dask", ["--dask"]), ("scheduler", ["--scheduler", client.scheduler.address])]:
        out = tmp_path / f"{name}.jsonl"
        r = subprocess.run([*_near_dups(), "dedup", str(src), "-o", str(out), "--keep", "longest",
                            "--threshold", "0.7", "--id-field", "id", "-q", *flags],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        outputs[name] = (out.read_text(), (tmp_path / f"{name}.dropped.jsonl").read_text())
    assert outputs["local"][1].count("\n") > 5  # something was dropped
    assert outputs["dask"] == outputs["local"] == outputs["scheduler"]


def test_big_buckets_are_connected_like_the_local_engine(client, monkeypatch):
    """With BIG_BUCKET forced down, buckets are connected on the client (not paired): the labels and
    keep flags equal the local engine's, and pairs=True still lists every pair."""
    from dedup._indexing import _pipeline

    df = _planted()
    monkeypatch.setattr(_pipeline, "BIG_BUCKET", 2)
    idx, clusters, kept = _reference(df, threshold=0.6)
    labels, info = ddk.find_duplicates(dd.from_pandas(df, npartitions=3), threshold=0.6, return_info=True)
    got = labels.compute()
    assert info["big_bucket_rows"] > 0 and info["big_bucket_documents"] > 0
    assert got["cluster"].tolist() == clusters.tolist() and got["keep"].tolist() == kept.tolist()
    _check(df, 3, threshold=0.6)  # pairs=True: every verified pair


def _real_bytes(frame) -> int:
    """Bytes a frame's columns and index really hold: numpy buffers, Arrow buffers, Python strings."""
    import pyarrow as pa

    total = frame.index.memory_usage(deep=True)
    for name in frame.columns:
        values = frame[name].array
        if isinstance(values, pd.arrays.ArrowExtensionArray):
            total += pa.array(values).get_total_buffer_size()
        else:
            total += frame[name].memory_usage(index=False, deep=True)
    return total


def test_stage_one_keeps_no_shingle_sets_and_dask_sizes_it_by_its_bytes():
    """What workers persist for the whole run is about 250 bytes a document (digests, counts, band
    keys), not the shingle sets, and Dask's sizeof (which decides when a worker spills) is its
    real size."""
    from dask.sizeof import sizeof

    from dedup._dask import _stages as st
    from dedup._indexing import _pipeline
    from dedup._core._config import Config

    df = _planted(300, 200, words=400)
    config = Config(threshold=0.8)
    nb, _ = _pipeline.lsh_shape(config)
    part = st.shingle_partition(df, "text", "id", "first", config, nb, 3)
    assert "shingles" not in part.columns
    f = _pipeline.featurize(df["text"].tolist(), config)
    assert part["nsh"].tolist() == np.diff(f.indptr).tolist()
    assert (part["pos"].to_numpy() >> 32 == 3).all()
    real = _real_bytes(part)
    assert 0.8 * real <= sizeof(part) <= 1.5 * real
    assert real < f.values.nbytes / 4  # the shingle sets it does not keep are over 4x its size


def test_join_rows_shingles_candidates_again_like_featurize():
    """Verification's shingle rows are featurize's, made again from the texts of the candidates only,
    with their priorities; the joined frame (persisted between the two sides) is sized by its bytes."""
    from dask.sizeof import sizeof

    from dedup._dask import _stages as st
    from dedup._core._config import Config

    df = _planted()
    config = Config(threshold=0.7)
    k = 2
    rows = np.array([40, 3, 3, 17, len(df) - 1, 40, 0])
    pairs = pd.DataFrame({"b": np.arange(rows.shape[0], dtype=np.int64)},
                         index=pd.Index((np.int64(k) << 32) + rows, name="a"))
    got = st.join_rows(pairs, df, "text", "score", config, k)
    assert got.index.tolist() == pairs.index.tolist() and got["b"].tolist() == pairs["b"].tolist()
    ptr, vals = st.arrow_to_csr(got["shingles"])
    for r, row in enumerate(rows.tolist()):
        want = dedup.shingles(df["text"].iloc[row], ngram=config.ngram, shingle=config.shingle)
        assert vals[ptr[r]:ptr[r + 1]].tolist() == want.tolist()
    assert got["prio"].tolist() == df["score"].iloc[rows].astype(float).tolist()
    assert st.join_rows(pairs.iloc[:0], df, "text", "first", config, k).empty
    every = np.repeat(np.arange(len(df)), 2)  # every document, in two pairs: 190 kB of shingle rows
    big = st.join_rows(pd.DataFrame({"b": every}, index=pd.Index((np.int64(k) << 32) + every, name="a")), df,
                       "text", "first", config, k)
    real = _real_bytes(big)
    assert real > 100_000 and 0.8 * real <= sizeof(big) <= 1.25 * real
