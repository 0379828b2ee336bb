"""Cold start: how long numba compiles each kernel on the first run, and the first run's wall time.

Runs a job of the command line in a fresh process with an empty numba cache
(``NUMBA_CACHE_DIR`` pointed at a new folder), recording numba's own
``numba:compile`` events, and then the same run again with the cache warm.
A first run that ran its kernels interpreted (``dedup._core._interpret``)
is timed to the end of its job; the worker then waits for the second
process warming the cache (``warmed``: seconds from the start until it is
done) before the warm run.
With two checkouts, they alternate, so the figures compare on the same
machine state::

    python -m benchmarks.checkouts.compile_times NEW_CHECKOUT [OLD_CHECKOUT] --rounds 5 [--job find]

``--kernels`` adds the table kernel by kernel: compile seconds (the kernel's
own, its callees' subtracted; CPU seconds of the compiling thread, which a
busy machine inflates less than wall seconds), how many type
specializations it got and which. ``--variant serial`` / ``no-inline``
compile every kernel without ``parallel=True`` / ``inline="always"``: what
each costs to compile (a measure only; the product keeps both).

``--record`` runs every job the command line lists in
``dedup/_core/_kernel_list.py`` with an empty cache and rewrites that file:
the kernels each job calls from Python, with their argument types, in
order (``near-dups warm`` and a first run's second process compile them).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = str(ROOT / "corpus")

#: Texts of every code-point width (1, 2, 4 bytes), for the jobs whose kernels depend on it.
WIDTHS = {"latin.txt": "Plain words of an ordinary text, with a café and a naïve résumé in it. " * 8,
          "bmp.txt": "Curly \u2019quotes\u2019 and an em dash \u2014 in a text of ordinary words. " * 8,
          "astral.txt": "An emoji \U0001f600 in a text of ordinary words that repeat. " * 8}


def _argv(job: str, corpus: str, tmp: str) -> list[str]:
    """The command line of ``job`` on ``corpus`` (outputs in ``tmp``)."""
    out = os.path.join(tmp, "out")
    return {"overview": [corpus], "find": ["find", corpus], "dedup": ["dedup", corpus, "-o", out],
            "blocks": ["blocks", corpus], "collapse": ["collapse", corpus, "-o", out],
            "passages": ["passages", corpus], "index build": ["index", "build", corpus, "-o", out],
            "report": ["report", corpus, "-o", out + ".html"]}[job] + ["-q"]


#: The jobs ``--record`` lists (the command line's, except the index's other commands, which reuse these kernels).
RECORDED = ("overview", "find", "dedup", "blocks", "collapse", "passages", "index build")
#: The jobs some of whose kernels take arrays of code points, whose type follows the texts' widths.
WIDTH_JOBS = ("blocks", "collapse", "passages")


def _variant(name: str) -> None:
    """Patch ``numba.njit`` before ``dedup`` is imported: what ``parallel=True`` or ``inline="always"`` cost."""
    import numba

    real = numba.njit

    def njit(*args, **kw):
        if name == "serial":
            kw.pop("parallel", None)
        elif name == "no-inline" and kw.get("inline") == "always":
            kw.pop("inline")
        return real(*args, **kw)

    numba.njit = njit


class _Recorder:
    """numba:compile events: each kernel's own wall and CPU seconds, and the kernels called from Python."""

    def __init__(self):
        self.stack = []  # [wall, cpu, nested wall, nested cpu]
        self.per_kernel = {}  # qualified name -> [wall, cpu, specializations, [signatures]]
        self.top = []  # (dispatcher, args) of the compiles not nested in another

    def on_start(self, ev):
        if not self.stack:
            self.top.append((ev.data["dispatcher"], ev.data["args"]))
        self.stack.append([time.perf_counter(), time.thread_time(), 0.0, 0.0])

    def on_end(self, ev):
        wall0, cpu0, inner_wall, inner_cpu = self.stack.pop()
        wall, cpu = time.perf_counter() - wall0, time.thread_time() - cpu0
        if self.stack:
            self.stack[-1][2] += wall
            self.stack[-1][3] += cpu
        fn = ev.data["dispatcher"].py_func
        k = self.per_kernel.setdefault(f"{fn.__module__}.{fn.__qualname__}", [0.0, 0.0, 0, []])
        k[0] += wall - inner_wall
        k[1] += cpu - inner_cpu
        k[2] += 1
        k[3].append(", ".join(str(a) for a in ev.data["args"]))


def _entries(top) -> list:
    """``_kernel_list`` entries of the top-level compiles: ``(module, attribute, argument spellings)``."""
    import importlib

    try:
        from dedup._core._compile import spell
    except ImportError:  # a checkout before the list existed
        return []

    out = []
    for disp, args in top:
        mod = disp.py_func.__module__
        if not mod.startswith("dedup."):
            continue
        names = [k for k, v in vars(importlib.import_module(mod)).items() if v is disp]
        spelled = [spell(a) for a in args]
        if names and None not in spelled:
            entry = [mod, names[0], spelled]
            if entry not in out:
                out.append(entry)
    return out


def worker(job: str, variant: str = "", corpus: str = CORPUS) -> dict:
    from numba.core import event

    if variant:
        _variant(variant)

    class Listener(event.Listener):
        def on_start(self, ev):
            rec.on_start(ev)

        def on_end(self, ev):
            rec.on_end(ev)

    rec = _Recorder()
    listener = Listener()
    start = time.perf_counter()
    cpu = time.process_time()
    event.register("numba:compile", listener)
    with tempfile.TemporaryDirectory() as tmp:
        from dedup import cli

        cli.main(_argv(job, corpus, tmp))
        main_job = time.perf_counter() - start
        main_cpu = time.process_time() - cpu
        if job == "overview":  # and the block listing, as the README's tour runs next
            cli.main(["blocks", corpus, "-q", "--format", "jsonl", "-o", os.path.join(tmp, "b.jsonl")])
    total = time.perf_counter() - start
    event.unregister("numba:compile", listener)
    interpreted = bool(getattr(sys.modules.get("dedup._core._interpret"), "entered", 0))
    child = getattr(sys.modules.get("dedup._core._compile"), "last_child", None)
    if child is not None and child.poll() is None:  # an interpreted run's second process warms the cache after it
        child.wait()
    warmed = time.perf_counter() - start
    per_module: dict = {}
    count: dict = {}
    for name, (wall, _, n, _) in rec.per_kernel.items():
        mod = name.rsplit(".", 1)[0] if name.startswith("dedup.") else name.split(".<locals>")[0].rsplit(".", 1)[0]
        per_module[mod] = per_module.get(mod, 0.0) + wall
        count[mod] = count.get(mod, 0) + n
    dedup_compiles = sum(v[2] for k, v in rec.per_kernel.items() if k.startswith("dedup."))
    return {"main_job": main_job, "main_cpu": main_cpu, "total": total, "modules": per_module, "kernels": count,
            "per_kernel": rec.per_kernel, "top": _entries(rec.top), "dedup_compiles": dedup_compiles,
            "interpreted": interpreted, "warmed": warmed}


def run(checkout: str, cache: str, job: str, variant: str = "", corpus: str = CORPUS, env=None) -> dict:
    env = dict(os.environ if env is None else env, PYTHONPATH=os.path.abspath(checkout), NUMBA_CACHE_DIR=cache)
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", "--job", job, "--variant", variant,
                        "--corpus", corpus], env=env, capture_output=True, text=True, cwd="/", check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def record(checkout: str) -> None:
    """Rewrite ``dedup/_core/_kernel_list.py`` of ``checkout`` from cold runs of every job (``RECORDED``)."""
    from concurrent.futures import ThreadPoolExecutor

    # every kernel compiled in the recorded process, none interpreted
    env = dict(os.environ, NEAR_DUPS_COMPILE_CHILD="0", NEAR_DUPS_INTERPRET="0")

    def cold(job: str, corpus: str) -> dict:
        with tempfile.TemporaryDirectory() as cache:
            try:
                return run(checkout, cache, job, corpus=corpus, env=env)
            except subprocess.CalledProcessError as e:
                raise RuntimeError(f"{job} on {corpus} failed:\n{e.stderr}") from None

    with tempfile.TemporaryDirectory() as width_dir, ThreadPoolExecutor(2) as pool:
        for name, text in WIDTHS.items():
            pathlib.Path(width_dir, name).write_text(text, encoding="utf-8")
        on_corpus = {job: pool.submit(cold, job, CORPUS) for job in RECORDED}
        on_widths = {job: pool.submit(cold, job, width_dir) for job in WIDTH_JOBS}  # every code-point width
        kernels = {job: f.result()["top"] for job, f in on_corpus.items()}
        counts = {job: f.result()["dedup_compiles"] for job, f in on_corpus.items()}
        widths = {job: [e for e in f.result()["top"] if e not in kernels[job]] for job, f in on_widths.items()}
    for job in RECORDED:
        print(f"{job}: {len(kernels[job])} kernels called from Python (and {len(widths.get(job, ()))} for other "
              f"widths), {counts[job]} compiles on corpus/", file=sys.stderr)
    lines = ['"""The kernels each job of the command line calls from Python, with their argument types, in the order',
             "of a first run (``_compile``). Written by ``python -m benchmarks.checkouts.compile_times --record``:",
             'do not edit; a stale entry is skipped, and what it missed is compiled when called, as without it."""',
             ""]
    for title, listing in (("KERNELS", kernels), ("WIDTHS", widths)):
        lines.append("#: job -> ((module, kernel, argument types as ``_compile.parse`` reads them), ...)" if title ==
                     "KERNELS" else "#: the same, the jobs' further kernels on texts of other code-point widths")
        lines.append(f"{title} = {{")
        for job, entries in listing.items():
            lines.append(f"    {job!r}: (")
            for mod, name, args in entries:
                lines.append(f"        ({mod!r}, {name!r}, ({''.join(repr(a) + ', ' for a in args).rstrip(' ')})),")
            lines.append("    ),")
        lines.append("}")
    lines += ["#: job -> how many kernels of ``dedup`` a first run of it on ``corpus/`` compiles (nested ones too)",
              f"COUNTS = {counts!r}", ""]
    pathlib.Path(checkout, "dedup", "_core", "_kernel_list.py").write_text("\n".join(lines), encoding="utf-8")


def _kernel_table(runs: list[dict]) -> None:
    med = statistics.median
    names = sorted({k for r in runs for k in r["per_kernel"]},
                   key=lambda k: -med([r["per_kernel"].get(k, [0, 0])[1] for r in runs]))
    print("| kernel | specializations | compile CPU s (median) | wall s | signatures |")
    print("|---|---:|---:|---:|---|")
    for k in names:
        cpu = med([r["per_kernel"].get(k, [0, 0])[1] for r in runs])
        wall = med([r["per_kernel"].get(k, [0, 0])[0] for r in runs])
        first = next(r["per_kernel"][k] for r in runs if k in r["per_kernel"])
        if cpu < 0.05 and not k.startswith("dedup."):
            continue
        sigs = " / ".join(f"({s})" for s in first[3]) if first[2] > 1 and k.startswith("dedup.") else ""
        print(f"| {k} | {first[2]} | {cpu:.2f} | {wall:.2f} | {sigs} |")
    print()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkouts", nargs="*", default=[str(ROOT)])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--job", choices=RECORDED, default="overview",
                    help="the first run timed: the overview (`near-dups corpus/`, then `blocks`) or `near-dups find corpus/`")
    ap.add_argument("--kernels", action="store_true", help="the table kernel by kernel, for every checkout")
    ap.add_argument("--variant", choices=("", "serial", "no-inline"), default="",
                    help="compile every kernel without parallel=True (serial) or without inline=\"always\" "
                         "(no-inline): what each costs to compile, kernel by kernel (timings only, not a product)")
    ap.add_argument("--record", action="store_true", help="rewrite dedup/_core/_kernel_list.py of the checkout")
    ap.add_argument("--json", metavar="FILE", help="append every run's record to FILE (JSON Lines)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--corpus", default=CORPUS, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.job, args.variant, args.corpus)))
        return 0
    if args.record:
        record(args.checkouts[0])
        return 0
    cold = {c: [] for c in args.checkouts}
    warm = {c: [] for c in args.checkouts}
    loads = [os.getloadavg()[0]]
    for k in range(args.rounds):
        for c in args.checkouts:
            with tempfile.TemporaryDirectory() as cache:
                cold[c].append(run(c, cache, args.job, args.variant))
                warm[c].append(run(c, cache, args.job, args.variant))
            loads.append(os.getloadavg()[0])
            if args.json:
                with open(args.json, "a") as f:
                    for kind, r in (("cold", cold[c][-1]), ("warm", warm[c][-1])):
                        f.write(json.dumps({"checkout": c, "round": k, "job": args.job, "variant": args.variant,
                                            "cache": kind, "load": loads[-1], **{x: r[x] for x in (
                                                "main_job", "main_cpu", "total", "dedup_compiles", "interpreted",
                                                "warmed")}}) + "\n")
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?") \
        if os.path.exists("/proc/cpuinfo") else "?"
    print(f"{args.rounds} rounds, checkouts alternating; CPU {cpu}, {os.cpu_count()} cores; "
          f"load average (1 min) {min(loads):.2f}-{max(loads):.2f}\n")
    med = statistics.median
    for c in args.checkouts:
        print(f"## {c}")
        what = "near-dups corpus/" if args.job == "overview" else "near-dups find corpus/"
        xs = [r["main_job"] for r in cold[c]]
        print(f"first run of `{what}` with an empty numba cache: {med(xs):.1f} s (min {min(xs):.1f}, max {max(xs):.1f}; "
              f"every round: {', '.join(f'{x:.1f}' for x in xs)}); with the cache warm: "
              f"{med([r['main_job'] for r in warm[c]]):.2f} s (min {min(r['main_job'] for r in warm[c]):.2f})")
        print(f"kernels of dedup compiled in the process (median): {med([r['dedup_compiles'] for r in cold[c]])}")
        runs = sum(r["interpreted"] for r in cold[c])
        if runs:
            xs = [r["warmed"] for r in cold[c]]
            print(f"kernels interpreted in {runs} of {len(xs)} first runs; the second process had compiled them "
                  f"{med(xs):.1f} s after the start (median; min {min(xs):.1f}, max {max(xs):.1f}); "
                  f"kernels compiled by the next run (median): {med([r['dedup_compiles'] for r in warm[c]])}")
        if args.job == "overview":
            print(f"main job + blocks, cold: {med([r['total'] for r in cold[c]]):.1f} s\n")
        mods = sorted({m for r in cold[c] for m in r["modules"]})
        print("| module | kernels compiled | compile seconds (median) |")
        print("|---|---:|---:|")
        for m in sorted(mods, key=lambda m: -med([r["modules"].get(m, 0.0) for r in cold[c]])):
            seconds = med([r['modules'].get(m, 0.0) for r in cold[c]])
            if seconds >= 0.05:
                print(f"| {m} | {cold[c][0]['kernels'].get(m, 0)} | {seconds:.2f} |")
        print()
        if args.kernels:
            _kernel_table(cold[c])
    return 0


if __name__ == "__main__":
    sys.exit(main())
