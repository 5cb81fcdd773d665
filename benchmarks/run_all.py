"""Run every ``benchmarks/bench_*.py`` and record the machine and the times in RESULTS_all.md.

    python benchmarks/run_all.py            # each benchmark at its own default sizes (long)
    python benchmarks/run_all.py --quick    # small sizes: a smoke run of every benchmark
    python benchmarks/run_all.py --only scan,onehot --timeout 300

Each benchmark runs in its own process (its stdout/stderr go to ``benchmarks/logs/<name>.log``);
a benchmark that fails or runs past ``--timeout`` is recorded as such and the others still run.
In ``--quick`` mode each benchmark gets the small arguments of :data:`QUICK`; the ones that need a
trained model or data files made by another step are listed in :data:`NEEDS` and skipped.
The table in ``RESULTS_all.md`` says which mode, the CPU model (``lscpu``), the core count and
the load average at the start: wall times on a shared machine are upper bounds.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import pathlib
import subprocess
import sys
import time

from _machine import cpu_model  # benchmarks/_machine.py (scripts run from benchmarks/ on sys.path)

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent

#: small arguments per benchmark for --quick (benchmarks not listed run with no arguments)
QUICK: dict[str, list[str]] = {
    "onehot": ["--quick"],
    "shuffle": ["--n", "200", "--length", "500", "--shuffles", "1"],  # its check assumes one shuffle per sequence
    "scan": ["--n-seq", "50", "--length", "500", "--motifs", "10", "--repeats", "1", "--no-cold"],
    "cooccurrence": ["--n-seqs", "500", "--motifs", "10", "--max-distance", "50"],
    "compare": ["--repeats", "1", "--skip-cold"],
    "seqlets": ["--n", "200", "--length", "200", "--which", "ours"],
    "attribution": ["--n", "8", "--length", "200", "--n-bg", "2", "--skip-shap"],
    "interactions": ["--pairs", "2", "--n-bg", "2"],
    "simulate": ["--part", "speed", "--n", "2000"],
}

#: benchmarks that need inputs made elsewhere (skipped with --quick; run them by hand)
NEEDS: dict[str, str] = {
    "detectors": "trained models (--models DIR) from benchmarks/bench_training.py",
    "detectors_margin": "the pair tables written by bench_detectors.py",
    "from_filters": "trained models of bench_training.py",
    "representation": "trains several models (minutes each)",
    "training": "trains a model on 100k sequences (tens of minutes)",
}




def benchmarks() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def run_one(name: str, args: list[str], timeout: float, logdir: pathlib.Path) -> tuple[str, float]:
    """``(status, seconds)`` of one benchmark run; its output goes to ``logdir/<name>.log``."""
    log = logdir / f"{name}.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        try:
            r = subprocess.run([sys.executable, str(HERE / f"bench_{name}.py"), *args], stdout=fh,
                               stderr=subprocess.STDOUT, cwd=ROOT, env=env, timeout=timeout)
            status = "ok" if r.returncode == 0 else f"failed (exit {r.returncode})"
        except subprocess.TimeoutExpired:
            status = f"timeout ({timeout:g} s)"
    return status, time.perf_counter() - t0


def write_results(path: pathlib.Path, rows: list[tuple[str, str, str, float]], quick: bool, header: dict) -> None:
    lines = [
        "# All benchmarks (`make bench`, benchmarks/run_all.py)", "",
        f"- date: {header['date']}", f"- mode: {'--quick (small sizes: a smoke run, not figures to quote)' if quick else 'default sizes'}",
        f"- CPU: {header['cpu']}, {header['cores']} cores; load average at start {header['load']}",
        "- wall times include Python/TensorFlow start-up and Numba compilation; on a shared machine they "
        "are upper bounds", "",
        "| benchmark | arguments | status | wall time (s) |", "|---|---|---|---|",
    ]
    for name, args, status, secs in rows:
        lines.append(f"| bench_{name}.py | `{args}` | {status} | {secs:.1f} |")
    lines += ["", "Each benchmark's own output (ratios against the anchor tools) is in `benchmarks/logs/<name>.log`;",
              "the figures quoted in the docs are in the other `RESULTS_*.md` files.", ""]
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text("\n".join(lines))
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes; skip benchmarks that need other inputs")
    ap.add_argument("--only", default=None, help="comma-separated names (scan,onehot,...) to run")
    ap.add_argument("--timeout", type=float, default=None,
                    help="seconds per benchmark (default 300 with --quick, 7200 otherwise)")
    ap.add_argument("--out", default=str(HERE / "RESULTS_all.md"))
    a = ap.parse_args(argv)
    names = benchmarks()
    if a.only:
        want = [n.strip() for n in a.only.split(",") if n.strip()]
        unknown = sorted(set(want) - set(names))
        if unknown:
            ap.error(f"no benchmark named {unknown}; there are {names}")
        names = want
    timeout = a.timeout if a.timeout is not None else (300.0 if a.quick else 7200.0)
    logdir = HERE / "logs"
    logdir.mkdir(exist_ok=True)
    header = {"date": _dt.date.today().isoformat(), "cpu": cpu_model(), "cores": os.cpu_count(),
              "load": " ".join(f"{v:.1f}" for v in os.getloadavg())}
    rows = []
    for name in names:
        if a.quick and name in NEEDS:
            rows.append((name, "", f"skipped in --quick: needs {NEEDS[name]}", 0.0))
            print(f"{name:20s} skipped ({NEEDS[name]})", file=sys.stderr)
            continue
        args = QUICK.get(name, []) if a.quick else []
        status, secs = run_one(name, args, timeout, logdir)
        rows.append((name, " ".join(args), status, secs))
        print(f"{name:20s} {status:28s} {secs:8.1f} s", file=sys.stderr)
        write_results(pathlib.Path(a.out), rows, a.quick, header)  # kept up to date as it goes
    write_results(pathlib.Path(a.out), rows, a.quick, header)
    return 0 if all(r[2].startswith(("ok", "skipped")) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
