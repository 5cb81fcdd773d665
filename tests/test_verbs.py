"""The verbs are importable as functions (``from kgenint.motifs import scan, compare``,
``from kgenint.interactions import cooccurrence``), while their modules stay importable by path."""
from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from kgenint.motifs import Motif


def test_scan_and_compare_are_the_functions():
    from kgenint.motifs import compare, scan

    assert inspect.isfunction(scan) and scan.__module__ == "kgenint.motifs.scan"
    assert inspect.isfunction(compare) and compare.__module__ == "kgenint.motifs.compare"
    m = Motif.from_consensus("GATTACA", name="g")
    x = np.zeros((2, 30, 4), np.float32)
    x[:, :, 0] = 1.0
    x[1, 5:12] = np.eye(4, dtype=np.float32)[[2, 0, 3, 3, 0, 1, 0]]  # GATTACA at 5
    hits = scan(x, [m], threshold=1e-3)
    assert list(hits["seq"]) == [1] and list(hits["start"]) == [5] and list(hits["strand"]) == ["+"]
    table = compare([m], [m, Motif.from_consensus("CCCCGGG", name="c")])
    assert table.iloc[0]["target_id"] == "g"


def test_cooccurrence_is_the_function():
    from kgenint.interactions import cooccurrence

    assert inspect.isfunction(cooccurrence) and cooccurrence.__module__ == "kgenint.interactions.cooccurrence"


@pytest.mark.parametrize("name", ["kgenint.motifs.scan", "kgenint.motifs.compare",
                                  "kgenint.interactions.cooccurrence"])
def test_modules_stay_importable(name):
    mod = importlib.import_module(name)
    assert inspect.ismodule(mod) and sys.modules[name] is mod
    from kgenint.motifs.scan import MotifScanner  # noqa: F401
    from kgenint.interactions.cooccurrence import CooccurrenceScan  # noqa: F401


def test_import_order_does_not_matter():
    """The module imported by its path first, the package attribute is still the function."""
    code = textwrap.dedent("""
        import inspect
        from kgenint.motifs.scan import MotifScanner
        from kgenint.interactions.cooccurrence import CooccurrenceScan
        import kgenint.motifs, kgenint.interactions
        from kgenint.motifs import scan, compare
        from kgenint.interactions import cooccurrence
        print(all(inspect.isfunction(f) for f in (scan, compare, cooccurrence,
                                                   kgenint.motifs.scan, kgenint.interactions.cooccurrence)))
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "True"


def test_interaction_cnn_is_exported():
    keras_pkg = pytest.importorskip("kgenint.keras")
    from kgenint.keras.models import interaction_cnn

    assert keras_pkg.interaction_cnn is interaction_cnn and "interaction_cnn" in keras_pkg.__all__
