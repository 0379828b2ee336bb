"""The kernels run interpreted (``dedup._core._interpret``): the same bytes out as compiled, and when it is chosen.

Interpreted, a kernel is its Python function (numba's ``py_func``) on numpy
scalars and arrays: the answers must not move by a byte. Every command's
output on small corpora is compared between a process forced to interpret
(``NEAR_DUPS_INTERPRET=1``, which must compile nothing) and one forced to
compile; the API on random corpora of every code-point width in one process;
the golden records of the small corpora (``tests/support/golden``) in
interpreted mode.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dedup
from dedup._core import _compile, _interpret
from tests.support import CORPUS, ROOT, golden

#: Small inputs: texts of every code-point width, with near-copies, repeated lines and a shared passage.
_PASSAGE = ("The committee said on Tuesday that the new rules would take effect next spring after a long review "
            "of the evidence gathered by its staff")
SMALL = {
    "mixed/latin.txt": "Café au lait and a naïve résumé.\nRead more\n" + _PASSAGE + ".\nRead more\nThe end of it.\n",
    "mixed/latin-copy.txt": "Café au lait and a naive résumé.\nRead more\n" + _PASSAGE + "!\nRead more\nThe end of it.\n",
    "mixed/bmp.txt": "Curly \u2019quotes\u2019 \u2014 and a line.\n" + _PASSAGE.replace("spring", "summer")
                     + "\nCurly \u2019quotes\u2019 \u2014 and a line.\n",
    "mixed/astral.txt": "An emoji \U0001f600 line.\nAn emoji \U0001f600 line.\n" + _PASSAGE + "\n\u4e2d\u6587 text.\n",
    "mixed/empty.txt": "",
    "pets.jsonl": "".join(json.dumps(r) + "\n" for r in (
        {"id": "a", "text": "The quick brown fox jumps over the lazy dog."},
        {"id": "b", "text": "the quick brown fox jumps over the lazy dog!!"},
        {"id": "c", "text": "A cat sleeps in the sun all afternoon."},
        {"id": "d", "text": "A cat sleeps in the sun all afternoon, and a dog too."},
        {"id": "e", "text": "..."})),
}

#: What each job prints or writes, on each input.
JOBS = {
    "overview": lambda p, o: [p],
    "find": lambda p, o: ["find", p, "--threshold", "0.5", "--ngram", "3"],
    "find-jsonl": lambda p, o: ["find", p, "--format", "jsonl", "--threshold", "0.3", "--ngram", "2"],
    "blocks": lambda p, o: ["blocks", p],
    "blocks-jsonl": lambda p, o: ["blocks", p, "--format", "jsonl"],
    "collapse": lambda p, o: ["collapse", p, "-o", f"{o}.collapsed.jsonl"],
    "collapse-dry": lambda p, o: ["collapse", p, "--dry-run", "--unit", "paragraph"],
    "passages": lambda p, o: ["passages", p, "--min-words", "5"],
    "dedup": lambda p, o: ["dedup", p, "-o", f"{o}.clean.jsonl", "--threshold", "0.5", "--ngram", "3"],
}

#: Run in a fresh process: every job on every input; prints the outputs and how many kernels were compiled.
DRIVER = """
import contextlib, io, json, os, sys
from numba.core import event
from dedup import cli

compiled = []

class Count(event.Listener):
    def on_start(self, ev):
        if ev.data["dispatcher"].py_func.__module__.startswith("dedup."):
            compiled.append(ev.data["dispatcher"].py_func.__name__)
    def on_end(self, ev):
        pass

event.register("numba:compile", Count())
out = {}
for name, argv in json.loads(sys.argv[1]):
    buf, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        code = cli.main(argv + ["-q"])
    files = {}
    for top in sorted(f for f in os.listdir(".") if f.startswith(name.replace("/", "_") + ".")):
        walked = [(d, fs) for d, _, fs in os.walk(top)] if os.path.isdir(top) else [("", [top])]
        for d, fs in walked:
            for f in sorted(fs):
                files[os.path.join(d, f)] = open(os.path.join(d, f), encoding="utf-8").read()
    out[name] = [code, buf.getvalue(), err.getvalue(), files]
print(json.dumps({"outputs": out, "compiled": compiled}))
"""


def _run_all(inputs: pathlib.Path, mode: str) -> dict:
    """Every job on every input, in a copy of ``inputs`` (the same relative names in both modes)."""
    where = inputs.parent / f"mode{mode}"
    shutil.copytree(inputs, where)
    runs = []
    for path in ["corpus", *sorted({p.split("/")[0] for p in SMALL})]:
        for job, argv in JOBS.items():
            name = f"{path}/{job}"
            runs.append([name, argv(path, name.replace("/", "_"))])
    env = dict(os.environ, PYTHONPATH=str(ROOT), NEAR_DUPS_INTERPRET=mode, NEAR_DUPS_COMPILE_CHILD="0")
    p = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(runs)], cwd=where, env=env, capture_output=True,
                       text=True, timeout=1800)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def small_inputs(tmp_path_factory) -> pathlib.Path:
    where = tmp_path_factory.mktemp("interpret") / "inputs"
    (where / "corpus").mkdir(parents=True)
    for p in CORPUS.glob("*.txt"):
        (where / "corpus" / p.name).write_bytes(p.read_bytes())
    for name, text in SMALL.items():
        (where / name).parent.mkdir(exist_ok=True)
        (where / name).write_text(text, encoding="utf-8")
    return where


def test_every_job_prints_and_writes_the_same_bytes_interpreted(small_inputs):
    """Each command on corpus/, texts of every width and a JSON Lines file: stdout, stderr, exit code and every
    file written are the same interpreted (which compiles no kernel) and compiled."""
    interpreted = _run_all(small_inputs, "1")
    compiled = _run_all(small_inputs, "0")
    assert interpreted["compiled"] == []
    assert sorted(interpreted["outputs"]) == sorted(compiled["outputs"])
    for name, want in compiled["outputs"].items():
        assert interpreted["outputs"][name] == want, name
    # the runs did something: clusters found, blocks and passages listed, files written
    assert '"pairs": [["c", "d", 0.636364]]' in compiled["outputs"]["pets.jsonl/find-jsonl"][1]
    assert "Read more" in compiled["outputs"]["mixed/blocks"][1]
    assert "committee" in compiled["outputs"]["mixed/passages"][1]
    assert compiled["outputs"]["corpus/collapse"][3] and compiled["outputs"]["pets.jsonl/dedup"][3]


_WORDS = ["the", "rule", "café", "naïve", "\u2019quote\u2019", "\u4e2d\u6587", "\U0001f600", "news", "vote", "road",
          "line", "Read", "more"]
_LINES = st.lists(st.sampled_from(_WORDS), min_size=1, max_size=12).map(" ".join)
_DOCS = st.lists(st.lists(_LINES, min_size=1, max_size=6).map("\n".join), min_size=2, max_size=6)


def _answers(texts):
    docs = texts + [t.replace("the", "a", 1) for t in texts[:2]]  # near-copies
    idx = dedup.index(docs, threshold=0.5, ngram=2)
    passages = [([tuple(o) for o in g.occurrences], repr(g.alignments)) for g in dedup.passages(docs, min_words=5)]
    return (idx.pairs(), idx.clusters(), dedup.collapse(docs), dedup.blocks(docs), passages,
            dedup.index(docs, shingle="char", ngram=4, threshold=0.5).pairs())


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_DOCS)
def test_the_api_answers_the_same_interpreted(texts):
    """Pairs, clusters, collapse, blocks, passages and character shingles, on random texts of every width."""
    want = _answers(texts)
    with _interpret.interpreted():
        assert _interpret.active()
        have = _answers(texts)
    assert not _interpret.active()
    assert have == want


@pytest.mark.parametrize("name", ["corpus"])
def test_golden_records_hold_interpreted(name, monkeypatch):
    """The golden outputs of the README's corpus (the API and every command's machine output), interpreted.
    (``planted``, 500 documents, holds too, but takes two minutes interpreted.)"""
    monkeypatch.setenv(_interpret.ENV, "1")
    monkeypatch.setenv(_compile.CHILD_ENV, "0")
    want = json.loads(golden.golden_file(name).read_text(encoding="utf-8"))
    with _interpret.interpreted():
        have = golden.outputs(name)
    assert [k for k in want if have.get(k) != want[k]] == []


# ---------------------------------------------------------------- the choice
def test_interpret_is_chosen_for_small_inputs_on_a_cold_cache(tmp_path, monkeypatch):
    monkeypatch.delenv(_interpret.ENV, raising=False)
    small = tmp_path / "small.txt"
    small.write_text("a few words", encoding="utf-8")
    big = tmp_path / "big"
    big.mkdir()
    for k in range(3):
        (big / f"{k}.txt").write_bytes(b"x" * (_interpret.SMALL // 2))
    assert _interpret.choose(True, [str(small)])
    assert _interpret.choose(True, [str(CORPUS)])
    assert not _interpret.choose(False, [str(small)])  # cached: compiled kernels are faster
    assert not _interpret.choose(True, [str(big)])  # the folder holds more than SMALL bytes
    assert not _interpret.choose(True, ["-"])  # standard input: its size is not known
    gz = tmp_path / "small.jsonl.gz"
    gz.write_bytes(b"")
    assert not _interpret.choose(True, [str(gz)])  # compressed: its size says little of its text's
    assert _interpret.input_bytes([str(big)], _interpret.SMALL) > _interpret.SMALL
    monkeypatch.setenv(_interpret.ENV, "1")
    assert _interpret.choose(False, [str(big)])
    monkeypatch.setenv(_interpret.ENV, "0")
    assert not _interpret.choose(True, [str(small)])
    monkeypatch.setenv(_interpret.ENV, "yes")
    with pytest.raises(ValueError, match="NEAR_DUPS_INTERPRET='yes': give 1"):
        _interpret.choose(True, [str(small)])


def test_a_bad_setting_is_one_usage_message(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), NEAR_DUPS_INTERPRET="maybe")
    p = subprocess.run([sys.executable, "-m", "dedup.cli", "find", str(CORPUS)], env=env, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 2
    assert "NEAR_DUPS_INTERPRET='maybe': give 1 (interpret the kernels), 0 (compile them)" in p.stderr
    assert "Traceback" not in p.stderr


def test_a_first_small_run_interprets_and_leaves_the_cache_warm(tmp_path):
    """`near-dups find corpus/` on an empty cache compiles nothing itself; its second process, left running,
    compiles find's kernels, and the next run finds them cached (``uncached`` reads the cache kernel by kernel:
    ``_fill_serial`` is cached under its function's name, ``_fill_run_pairs``; blocks' kernels are still not)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    env.pop(_interpret.ENV, None)
    env.pop(_compile.CHILD_ENV, None)
    script = f"""
import sys
from numba.core import event
from dedup import cli
from dedup._core import _compile
n = []
class C(event.Listener):
    def on_start(self, ev): n.append(1)
    def on_end(self, ev): pass
event.register("numba:compile", C())
print(_compile.uncached("find"), _compile.uncached("blocks"), _compile.uncached("explain"))
code = cli.main(["find", {str(CORPUS)!r}, "-q"])
child = _compile.last_child
running = child is not None and child.poll() is None
child.wait()
print(code, len(n), running, child.returncode, _compile.uncached("find"), _compile.uncached("blocks"))
"""
    p = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=1800)
    lines = p.stdout.splitlines()  # and between them what find prints
    before, after = lines[0], lines[-1]
    assert before.split() == ["True", "True", "False"], p.stderr
    assert after.split() == ["0", "0", "True", "0", "False", "True"], p.stderr
