"""The public signatures use the names of docs/api.md and none of the old ones.

The documented names are read from the page (its argument table); the old names are those the
page marks as old plus the ones issue 13 lists. A public function may still accept an old name
through ``**kwargs`` (a deprecation shim that warns and names the new one), never as a named
parameter. Metrics take scikit-learn's order, ``(y_true, y_score)``.
"""
from __future__ import annotations

import importlib
import inspect
import pathlib
import re
import warnings

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api.md"

#: old names (docs/api.md's "(old)" entries and issue 13's list): what they became
OLD = {
    "output": "head (the model output) or task (its column)",
    "model_output": "head",
    "background": "references, backgrounds or bg_freqs",
    "show_progress": "progress",
    "verbose": "progress",
    "q_threshold": "alpha",
    "qvalue_threshold": "alpha",
    "qvalue": "q_value",
}

#: Old names still in public signatures, each with why it is still there. The list may only
#: shrink: the test fails on any old name not listed here, and on an entry no longer needed.
KNOWN: dict[str, str] = {}  # every old name renamed (old names still accepted with a DeprecationWarning)

#: public packages and modules whose ``__all__`` is checked
PACKAGES = [
    "kgenint", "kgenint.sequence", "kgenint.motifs", "kgenint.seqlets", "kgenint.simulate",
    "kgenint.interactions", "kgenint.evaluate", "kgenint.results", "kgenint.data", "kgenint.plot",
    "kgenint.report", "kgenint.pipeline", "kgenint.keras", "kgenint.attribution",
]


def documented_names() -> tuple[set[str], set[str]]:
    """``(names, old)``: the argument names of the page's table, and those it marks as old."""
    text = API.read_text()
    names, old = set(), set()
    in_args = False
    for line in text.splitlines():
        if line.startswith("## "):
            in_args = line.strip() == "## Arguments"
            continue
        if in_args and line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            names.update(re.findall(r"`(\w+)`", cells[0]))
            old.update(re.findall(r"`(\w+)`\s*(?:,\s*`(?:\w+)`\s*)*\(old\)", cells[-1]))
            for grp in re.findall(r"((?:`\w+`,?\s*)+)\(old\)", cells[-1]):
                old.update(re.findall(r"`(\w+)`", grp))
    return names, old


def public_callables():
    seen = set()
    for pkg in PACKAGES:
        mod = importlib.import_module(pkg)
        for name in getattr(mod, "__all__", ()):
            obj = getattr(mod, name, None)
            if obj is None or id(obj) in seen:
                continue
            if inspect.isclass(obj):
                if not (obj.__module__ or "").startswith("kgenint"):
                    continue
                seen.add(id(obj))
                yield f"{pkg}.{name}", obj.__init__
                for meth_name, meth in vars(obj).items():
                    if not meth_name.startswith("_") and inspect.isfunction(meth):
                        yield f"{pkg}.{name}.{meth_name}", meth
            elif inspect.isfunction(obj) and (obj.__module__ or "").startswith("kgenint"):
                seen.add(id(obj))
                yield f"{pkg}.{name}", obj


def params(fn) -> list[inspect.Parameter]:
    try:
        return list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return []


def test_page_lists_the_vocabulary():
    names, old = documented_names()
    for n in ("head", "task", "references", "backgrounds", "bg_freqs", "progress", "alpha", "out",
              "overwrite", "client", "seed", "margin", "logits"):
        assert n in names, n
    assert {"q_threshold", "show_progress", "verbose"} <= old
    assert not names & set(OLD), names & set(OLD)


def test_public_signatures_use_no_old_names():
    _, old_on_page = documented_names()
    old = set(OLD) | old_on_page
    bad: list[str] = []
    used: set[str] = set()
    n = 0
    for where, fn in public_callables():
        n += 1
        for p in params(fn):
            if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                continue
            if p.name in old:
                key = f"{where}({p.name})"
                if key in KNOWN:
                    used.add(key)
                else:
                    bad.append(f"{where}({p.name}=...): use {OLD.get(p.name, 'the docs/api.md name')}")
    assert n > 100, n
    assert not bad, "old names in public signatures:\n" + "\n".join(sorted(bad))
    assert used == set(KNOWN), f"renamed, remove from KNOWN: {sorted(set(KNOWN) - used)}"


def test_metrics_take_scikit_learn_order():
    found = 0
    for where, fn in public_callables():
        if where.rsplit(".", 1)[-1] in ("auroc", "auprc"):
            found += 1
            names = [p.name for p in params(fn)][:2]
            assert names == ["y_true", "y_score"], f"{where}{names}"
    assert found >= 2


@pytest.mark.parametrize("seed", [0, 1])
def test_evaluate_metrics_agree_with_brute_force(seed):
    from kgenint.evaluate import auprc, auroc

    rng = np.random.default_rng(seed)
    y = rng.random(40) < 0.4
    s = np.round(rng.normal(size=40) + y, 1)  # ties on purpose
    pos, neg = s[y], s[~y]
    ref = np.mean([(p > q) + 0.5 * (p == q) for p in pos for q in neg])
    assert auroc(y, s) == pytest.approx(ref)
    order = np.argsort(-s, kind="stable")
    # average precision with tied scores entering together
    ap, tp, prev_recall = 0.0, 0, 0.0
    for v in np.unique(s)[::-1]:
        sel = s == v
        tp += int(y[sel].sum())
        k = int((s >= v).sum())
        recall = tp / y.sum()
        ap += (recall - prev_recall) * tp / k
        prev_recall = recall
    assert auprc(y, s) == pytest.approx(ap)
    assert order.size == 40


def test_evaluate_metrics_old_order_warns():
    from kgenint.evaluate import auroc

    s, y = [0.1, 0.9, 0.4, 0.3], [False, True, True, False]
    with pytest.warns(DeprecationWarning, match="y_true, y_score"):
        old = auroc(s, y)
    assert old == auroc(y, s) == 1.0
    with pytest.warns(DeprecationWarning, match="y_score"):
        assert auroc(scores=s, labels=y) == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        auroc(y, s)


def test_score_interactions_old_threshold_name_warns():
    from kgenint.evaluate import score_interactions

    with pytest.warns(DeprecationWarning, match="alpha="):
        with pytest.raises(Exception):  # the shim runs before the table is read
            score_interactions(None, None, q_threshold=0.1)
    with pytest.raises(TypeError, match="unexpected keyword"):
        score_interactions(None, None, q_treshold=0.1)
