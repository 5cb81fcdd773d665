"""run_detector dispatch and the detector benchmark on a small simulated data set."""
import numpy as np
import pandas as pd
import pytest

from kgenint.errors import InputError
from kgenint.evaluate import benchmark_interactions
from kgenint.evaluate.detectors import score_against_pairs, scoring_view
from kgenint.interactions.detectors import DETECTORS, insilico_pair_table, run_detector
from kgenint.interactions.pair_table import check_pair_table
from kgenint.motifs.motif import Motif
from kgenint.simulate import simulate


@pytest.fixture(scope="module")
def data():
    return simulate("default", n=600, seed=2)


def _lookup_predict(data):
    """The noise-free latent of the data set's own sequences (an oracle 'model' on those rows)."""
    codes = {data.x[i].tobytes(): data.truth.latent[i] for i in range(len(data.x))}

    def predict(x):
        return np.array([[codes[np.asarray(r, dtype=data.x.dtype).tobytes()]] for r in x])
    return predict


def _x(data):
    return np.asarray(data.onehot() if callable(getattr(data, "onehot", None)) else data.x, dtype=np.float32)


def test_benchmark_hierlasso_data_and_model_truth(data):
    x = _x(data)
    truth = data.truth
    hits = truth.instances[["seq", "start", "end", "strand", "motif"]]
    summary, kinds, tables = benchmark_interactions(
        truth, truth.motifs, methods=["hierlasso"], x=x, hits=hits, labels=data.y_reg,
        predict=_lookup_predict(data), options={"hierlasso": {"n_resamples": 10}}, progress=False)
    assert list(summary.index) == ["hierlasso", "hierlasso_model"]
    for t in tables.values():
        check_pair_table(t)
    # the oracle's latent holds exactly the planted terms: AND/XOR/OR pairs are found
    assert summary.loc["hierlasso_model", "data_auroc"] > 0.8
    assert summary.loc["hierlasso", "data_auroc"] > 0.7
    assert summary.loc["hierlasso_model", "model_rows"] == len(x)
    for k in ("and", "xor", "or"):
        assert kinds.loc["hierlasso_model", f"called:{k}"] == 1.0
    # no assertion on the additive pair: with strong main effects the lasso's shrinkage makes a
    # product term cheap (a measured weakness, see benchmarks/RESULTS_detectors.md)


def test_scoring_helpers_hand_case():
    tab = pd.DataFrame({"motif_a": ["A", "A", "B"], "motif_b": ["B", "C", "C"], "distance": [5, pd.NA, 3],
                        "orientation": ["++", None, "+-"], "effect": [2.0, 0.1, -1.0], "ci_low": np.nan,
                        "ci_high": np.nan, "p_value": [1e-6, 0.5, 1e-3], "q_value": [3e-6, 0.5, 1.5e-3],
                        "method": "dfim"})
    v = scoring_view(tab)
    assert v["score"].iloc[0] == pytest.approx(6, abs=1e-5) and v["q"].tolist() == [3e-6, 0.5, 1.5e-3]
    r = score_against_pairs(v, {frozenset("AB")}, ["A", "B", "C", "D"])
    # pairs AB AC AD BC BD CD, only AB positive and ranked first
    assert r["pair_auroc"] == 1.0 and r["n_called"] == 2 and r["precision"] == 0.5 and r["recall"] == 1.0


def test_insilico_columns_read_defensively():
    old = pd.DataFrame({"motif_a": ["A"], "motif_b": ["B"], "distance": [3], "orientation": ["++"],
                        "effect": [1.0], "p": [0.01], "q": [0.01], "score": [0.5]})
    t = insilico_pair_table(old)
    check_pair_table(t)
    assert t["p_value"].iloc[0] == 0.01 and t["q_value"].iloc[0] == 0.01 and "p" not in t


def test_run_detector_bad_input():
    m = [Motif.from_consensus("ACGTAC", name="a"), Motif.from_consensus("TTGACA", name="b")]
    x = np.eye(4, dtype=np.float32)[np.zeros((3, 30), int)]
    with pytest.raises(InputError, match="method must be one of"):
        run_detector("shap", motifs=m)
    with pytest.raises(InputError, match="at least two"):
        run_detector("dfim", motifs=m[:1])
    with pytest.raises(InputError, match="needs predict"):
        run_detector("anova", motifs=m, backgrounds=x)
    with pytest.raises(InputError, match="needs attribute"):
        run_detector("dfim", motifs=m, x=x)
    with pytest.raises(InputError, match="needs hvp"):
        run_detector("hessian", motifs=m, x=x)
    with pytest.raises(InputError, match="needs x"):
        run_detector("dependency", motifs=m, attribute=lambda z: z)
    with pytest.raises(InputError, match="labels has"):
        run_detector("hierlasso", motifs=m, x=x, labels=np.zeros(2),
                     hits=pd.DataFrame({"seq": [0], "start": [0], "end": [6], "strand": ["+"], "motif": ["a"]}))
    with pytest.raises(InputError, match="takes no option"):
        run_detector("insilico", motifs=m, predict=lambda z: np.zeros((len(z), 1)), backgrounds=x, bogus=1)
    assert set(DETECTORS) == {"insilico", "anova", "tukey", "dfim", "dependency", "hessian", "hierlasso"}
    with pytest.raises(InputError, match="no detector"):
        benchmark_interactions(simulate("default", n=50, seed=0).truth, m)


def test_detector_modules_do_not_import_tensorflow():
    import subprocess
    import sys

    code = ("import sys; import kgenint.interactions.detectors, kgenint.interactions.dfim, "
            "kgenint.interactions.dependency, kgenint.interactions.hessian, kgenint.interactions.stats, "
            "kgenint.interactions.hierlasso, kgenint.evaluate_detectors, kgenint.evaluate; "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]


def test_extra_detectors_are_scored_like_the_others(data):
    """A detector outside run_detector (e.g. the feature-space one, which needs a Keras layer) enters the
    benchmark as a callable returning a pair table: a table that ranks exactly the planted pairs first
    scores AUROC 1 and recall 1; one that ranks them last scores AUROC 0."""
    from kgenint.interactions.pair_table import finish_pair_table

    truth = data.truth
    names = list(truth.motif_names)
    inter = truth.interacting_pairs()
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            hit = frozenset((a, b)) in inter
            rows.append({"motif_a": a, "motif_b": b, "effect": 1.0, "p_value": 1e-9 if hit else 0.5})
    good = finish_pair_table(rows, "features")
    bad = finish_pair_table([{**r, "p_value": 0.5 if r["p_value"] < 0.5 else 1e-9} for r in rows], "features")
    summary, kinds, tables = benchmark_interactions(
        truth, truth.motifs, methods=[], progress=False,
        extra_detectors={"features": lambda: good, "inverted": lambda: bad})
    assert summary.loc["features", "data_auroc"] == 1.0 and summary.loc["features", "data_recall"] == 1.0
    assert summary.loc["inverted", "data_auroc"] == 0.0
    assert tables["features"] is good
