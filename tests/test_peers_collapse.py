"""The scorer of ``benchmarks.collapse.peers_collapse``: a tool's cleaned text matched back to its page's lines."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.collapse import peers_collapse as pc
from benchmarks.harness import crawl


@pytest.fixture(scope="module")
def corpus():
    return list(crawl.pages(120, seed=5))


def _spans(text):
    out, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a b", "c", "d e f", "g", " h "]), st.booleans()), max_size=12),
       st.sampled_from(["\n", "\n\n"]))
def test_removed_lines_against_the_lines_left_out(lines, sep):
    text = "\n".join(t for t, _ in lines) + "\n"
    kept = sep.join(t for t, k in lines if k).strip()  # blank lines between (dolma's ""), stripped ends (datatrove)
    removed, unmatched = pc.removed_lines(text, kept)
    spans = _spans(text)
    truth = [s for s, (_, k) in zip(spans, lines) if not k]
    assert unmatched == 0
    # the same number of each text removed; with repeated texts the earliest copy counts as the kept one
    assert Counter(text[s:e] for s, e in removed) == Counter(text[s:e] for s, e in truth)
    if len({t for t, _ in lines}) == len(lines):
        assert removed == truth


def test_a_dropped_page_loses_every_line_and_strange_lines_are_counted():
    text = "one\ntwo\nthree\n"
    assert pc.removed_lines(text, None) == ([(0, 3), (4, 7), (8, 13)], 0)
    assert pc.removed_lines(text, "") == ([(0, 3), (4, 7), (8, 13)], 0)
    # a line the page never had is counted and skipped; the matching goes on after it
    assert pc.removed_lines(text, "one\nTWO!\nthree") == ([(4, 7)], 1)
    # lines out of order: the second cannot match after the first
    assert pc.removed_lines(text, "three\none") == ([(0, 3), (4, 7)], 1)


def test_score_outputs_equals_crawl_score_of_the_removed_lines(corpus):
    rng = random.Random(7)
    truth, outputs = [], {}
    for k, page in enumerate(corpus):
        if k % 17 == 3:  # dropped whole
            truth.append([(s, e) for s, e, _ in page.lines])
            continue
        keep = [rng.random() < 0.6 for _ in page.lines]
        where: dict = {}
        for i, (s, e, _) in enumerate(page.lines):
            where.setdefault(page.text[s:e], []).append(i)
        for idx in where.values():  # of a line's copies in a page, the earlier are kept (as every tool does)
            n = sum(keep[i] for i in idx)
            for j, i in enumerate(idx):
                keep[i] = j < n
        truth.append([(s, e) for (s, e, _), kp in zip(page.lines, keep) if not kp])
        outputs[page.id] = "\n".join(page.text[s:e] for (s, e, _), kp in zip(page.lines, keep) if kp)
    got = pc.score_outputs(corpus, outputs)
    want = crawl.score(corpus, truth)
    assert got["labels"] == {k: list(v) for k, v in want["labels"].items()}
    assert got["precision"] == want["precision"] and got["recall"] == want["recall"]
    assert got["dropped_pages"] == sum(1 for k in range(len(corpus)) if k % 17 == 3)
    assert got["unmatched_lines"] == 0
    again = pc.score_outputs(corpus, dict(outputs))
    assert again["removed_digest"] == got["removed_digest"]
    outputs[corpus[0].id] = corpus[0].text  # one page changed: the digest says so
    assert pc.score_outputs(corpus, outputs)["removed_digest"] != got["removed_digest"]


def test_a_perfect_cleaner_scores_perfectly(corpus):
    outputs = {p.id: "\n".join(p.text[s:e] for s, e, lab in p.lines if lab not in crawl.SHOULD_GO) for p in corpus}
    r = pc.score_outputs(corpus, outputs)
    assert r["precision"] == 1.0 and r["recall"] == 1.0
    assert all(gone == (n if k in crawl.SHOULD_GO else 0) for k, (gone, n) in r["labels"].items())


def test_the_markdown_keeps_the_text_around_its_tables(tmp_path, corpus):
    outputs = {p.id: p.text for p in corpus}
    runs = [{"tool": "x", "seconds": s, "peak_rss_gib": 0.1, "peak_pss_gib": 0.1, **pc.score_outputs(corpus, outputs)}
            for s in (3.0, 1.0, 2.0)]
    rec = {"pages": len(corpus), "rounds": 3, "mb": 0.3, "lines": 1000, "started": "a", "finished": "b", "cpu": "c",
           "load_min": 0.1, "load_max": 0.2, "seed": 5, "summary": pc.summarize(runs, ["x"]), "runs": runs,
           "described": {"x": "y"}, "versions": {"x": "1"}, "skipped": {"z": "not installed"}}
    (tmp_path / "peers_120.json").write_text(json.dumps(rec))
    (tmp_path / "PEERS.md").write_text(f"# Title\n\nmine\n\n{pc.MARK_START}\nold\n{pc.MARK_END}\n\nafter\n")
    text = open(pc.write_markdown(str(tmp_path))).read()
    assert text.startswith("# Title\n\nmine\n") and text.endswith("\n\nafter\n") and "old" not in text
    assert "| x | 2.00 (1.00-3.00) | 0.10 |" in text and "z: skipped: not installed" in text


@pytest.mark.slow
@pytest.mark.parametrize("tool", ["dolma", "datatrove"])
def test_each_peer_runs_and_removes_frames(tool, tmp_path):
    found, why = pc.find_dolma(None) if tool == "dolma" else pc.find_datatrove(None)
    if not found:
        pytest.skip(why)
    assert pc.main(["--pages", "300", "--rounds", "1", "--tools", tool, "--out", str(tmp_path),
                    "--workdir", str(tmp_path / "work")]) == 0
    rec = json.loads((tmp_path / "peers_300.json").read_text())
    s = rec["summary"][tool]
    assert s["unmatched_lines"] == 0 and s["labels"]["frame"]["removed_min"] > 0.9
    assert s["labels"]["unique"]["removed_max"] < 0.01


def test_a_missing_peer_is_skipped_with_its_install_command(tmp_path, capsys):
    assert pc.main(["--pages", "20", "--rounds", "1", "--tools", "dolma", "--dolma", str(tmp_path / "none"),
                    "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "skipping dolma: dolma not found" in err and "pip install dolma" in err and "nothing to run" in err
    assert not list(tmp_path.glob("peers_*.json"))


def test_memory_is_passed_to_collapse_only_when_it_uses_it(tmp_path):
    log = tmp_path / "err"
    log.write_text("near-dups: warning: --memory is not used by collapse; ignored\n")
    assert not pc.collapse_uses_memory(str(log))
    log.write_text("near-dups: 300 documents, 0.85 MB, --memory 1G\n")
    assert pc.collapse_uses_memory(str(log))
    cli = pc.NearDupsCli("1G")
    assert cli.commands("B", "O")[0][-2:] == ["--memory", "1G"]  # the warm-up asks with it
    cli.memory_used = False
    assert "--memory" not in cli.commands("B", "O")[0]


def test_each_round_runs_every_tool_once_and_no_tool_always_follows_the_same_one():
    names = ["near-dups CLI", "near-dups API", "dolma", "datatrove"]
    orders = [pc.round_order(names, r) for r in range(5)]
    assert all(sorted(o) == sorted(names) for o in orders)
    for name in names:
        before = {o[o.index(name) - 1] for o in orders if o.index(name) > 0}
        assert len(before) >= 2, (name, orders)
    assert pc.round_order([], 3) == []
    two = [pc.round_order(["a", "b"], r)[0] for r in range(4)]
    assert two.count("a") == two.count("b") == 2
