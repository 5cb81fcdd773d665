"""``kgenint interactions --method ...`` on a hand-wired Keras model with a known A x B synergy."""
import numpy as np
import pandas as pd
import pytest

keras = pytest.importorskip("keras")

from kgenint.cli import main  # noqa: E402
from kgenint.motifs.io import write_meme  # noqa: E402
from kgenint.motifs.motif import Motif  # noqa: E402

L = 60
CA, CB, CC = "GATTACAG", "CCTGAGGT", "TTGCGCAA"
IDX = {c: i for i, c in enumerate("ACGT")}


def _onehot(s):
    return np.eye(4, dtype=np.float32)[[IDX[c] for c in s]]


def _model():
    """f = s_A + s_B + s_C + 2 s_A s_B, s_k = max over positions of sigmoid(4 (matches_k - 7.5))."""
    inp = keras.Input((L, 4))
    s = []
    convs = []
    for c in (CA, CB, CC):
        conv = keras.layers.Conv1D(1, 8, activation="sigmoid")
        s.append(keras.layers.GlobalMaxPooling1D()(conv(inp)))
        convs.append((conv, c))
    ab = keras.layers.Multiply()([s[0], s[1]])
    dense = keras.layers.Dense(1)
    out = dense(keras.layers.Concatenate()([*s, ab]))
    model = keras.Model(inp, out)
    for conv, c in convs:
        conv.set_weights([4 * _onehot(c)[:, :, None], np.array([-30.0])])
    dense.set_weights([np.array([[1.0], [1.0], [1.0], [2.0]]), np.zeros(1)])
    return model


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp("det_cli")
    rng = np.random.default_rng(0)
    _model().save(d / "m.keras")
    write_meme([Motif.from_consensus(c, name=n) for c, n in ((CA, "A"), (CB, "B"), (CC, "C"))], d / "m.meme")
    seqs, labels = [], []
    for i in range(60):
        s = list(rng.choice(list("ACGT"), L))
        has = rng.random(3) < 0.6
        pos = [4, 24, 44]
        for k, c in enumerate((CA, CB, CC)):
            if has[k]:
                s[pos[k]:pos[k] + 8] = list(c)
        seqs.append("".join(s))
        labels.append(has[0] + has[1] + has[2] + 2 * has[0] * has[1] + 0.1 * rng.normal())
    (d / "seqs.fa").write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))
    (d / "labels.tsv").write_text("id\tlabel\n" + "".join(f"s{i}\t{v:.4f}\n" for i, v in enumerate(labels)))
    return d


def _run(work, method, *extra):
    t = work / f"{method}.tsv"
    rc = main(["interactions", "--method", method, "--model", str(work / "m.keras"), "--motifs",
               str(work / "m.meme"), "--data", str(work / "seqs.fa"), "--table", str(t), "--quiet", *extra])
    return rc, (pd.read_csv(t, sep="\t") if rc == 0 else None)


@pytest.mark.parametrize("method", ["dfim", "dependency", "hessian"])
def test_hit_based_methods_find_ab(work, method):
    rc, tab = _run(work, method, "--out", str(work / f"{method}.h5"), "--overwrite")
    assert rc == 0
    top = tab.iloc[0]
    assert (top.motif_a, top.motif_b) == ("A", "B") and top.effect > 0 and top.q_value < 0.05
    assert top.distance == 20
    import h5py
    with h5py.File(work / f"{method}.h5") as f:
        assert f.attrs["kgenint_format"] == "pair_table" and f.attrs["method"] == method
        assert [c.decode() if isinstance(c, bytes) else c for c in f["table"].attrs["columns"]][:2] == ["motif_a", "motif_b"]


def test_anova_and_hierlasso(work):
    rc, tab = _run(work, "anova", "--distances", "20,30", "--orientations", "++", "--n-backgrounds", "4")
    assert rc == 0 and {tab.iloc[0].motif_a, tab.iloc[0].motif_b} == {"A", "B"}
    rc, tab = _run(work, "hierlasso", "--labels", str(work / "labels.tsv"))
    assert rc == 0 and (tab.iloc[0].motif_a, tab.iloc[0].motif_b) == ("A", "B")
    assert tab.iloc[0].selection_freq >= 0.8


def test_bad_input(work, capsys):
    (work / "bad.tsv").write_text("id\tlabel\ns0\t1\n")
    rc, _ = _run(work, "hierlasso", "--labels", str(work / "bad.tsv"))
    assert rc == 1 and "no label for" in capsys.readouterr().err
    (work / "bad2.tsv").write_text("id\tlabel\ns0\tx\n")
    rc, _ = _run(work, "hierlasso", "--labels", str(work / "bad2.tsv"))
    assert rc == 1 and "line 2" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["interactions", "--method", "shap", "--model", "m", "--motifs", "m"])
    assert e.value.code == 2
    rc = main(["interactions", "--method", "dfim", "--model", str(work / "m.keras"), "--motifs", str(work / "m.meme")])
    assert rc == 1 and "needs --data" in capsys.readouterr().err


def test_benchmark_command_bad_input(work, capsys):
    rc = main(["benchmark", "--model", str(work / "m.keras"), "--data", str(work / "seqs.fa"), "--n-seqs", "0"])
    assert rc == 1 and "--n-seqs must be >= 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["benchmark", "--data", str(work / "seqs.fa")])
    assert e.value.code == 2
