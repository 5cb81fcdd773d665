"""Progress lines on a non-terminal stderr (issue 17: a log file must show that work is alive)."""
from __future__ import annotations

import io

import pytest

import kgenint.progress as P


def test_line_progress_writes_timed_lines_and_a_final_line(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(P.time, "perf_counter", lambda: now[0])
    out = io.StringIO()
    bar = P.LineProgress(total=400, desc="scan", unit="seq", interval=10, stream=out)  # t0 = 0
    for t in (1.0, 12.0, 13.0, 25.0):  # lines only when 10 s have passed since the last one
        now[0] = t
        bar.update(100)
    now[0] = 26.0
    bar.close()
    lines = out.getvalue().splitlines()
    assert lines == ["kgenint: scan: 200/400 seq (50 %), 12 s, about 12 s left",
                     "kgenint: scan: 400/400 seq (100 %), 25 s",
                     "kgenint: scan: 400/400 seq (100 %), 26 s - done"]
    bar.close()
    assert len(out.getvalue().splitlines()) == 3  # close is idempotent
    quick = io.StringIO()
    short = P.LineProgress(total=2, stream=quick, interval=10)
    short.update(2)
    short.close()
    assert quick.getvalue() == ""  # work shorter than half the interval prints nothing


def test_progress_chooses_lines_off_a_terminal(monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.setattr(P.sys, "stderr", io.StringIO())
    assert isinstance(P.progress(total=3, desc="x"), P.LineProgress)
    assert getattr(P.progress(total=3, desc="x", disable=True), "disable", False) is True
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert getattr(P.progress(total=3, desc="x"), "disable", False) is True


@pytest.mark.parametrize("n", [0, 5])
def test_line_progress_iterates(n):
    out = io.StringIO()
    assert list(P.LineProgress(range(n), stream=out, interval=0.0)) == list(range(n))
    assert out.getvalue().splitlines()[-1].endswith(f"{n}/{n} it (100 %), 0 s - done" if n else "0 it, 0 s - done")
