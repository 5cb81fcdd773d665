"""The options every subcommand shares come from one place (kgenint/cli/_options.py): one
``-o/--out`` + ``--overwrite``, ``--data``/``--split``/``--max-seqs`` and ``--motifs`` (an input
everywhere), each with one help text."""
from __future__ import annotations

import argparse

import numpy as np
import pytest

from kgenint.cli import build_parser, main
from kgenint.cli._options import DATA_HELP, MAX_SEQS_HELP, MOTIFS_HELP, SPLIT_HELP
from kgenint.cli._outputs import HELP as OVERWRITE_HELP


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _option(p: argparse.ArgumentParser, flag: str):
    return next((a for a in p._actions if flag in a.option_strings), None)


def test_every_output_is_o_out_with_the_one_overwrite():
    cmds = _subcommands()
    with_out = {n for n, p in cmds.items() if _option(p, "--out") is not None}
    # every subcommand but `report` (it writes DIR/report.html) has an output option
    assert with_out == set(cmds) - {"report"}
    for name in with_out:
        out = _option(cmds[name], "--out")
        assert out.option_strings == ["-o", "--out"], name
        if name == "demo":  # a directory of stages, reused unless --force (not an overwrite)
            assert _option(cmds[name], "--overwrite") is None and _option(cmds[name], "--force") is not None
            continue
        ow = _option(cmds[name], "--overwrite")
        assert ow is not None and ow.help == OVERWRITE_HELP, name


def test_inputs_share_one_help_text():
    cmds = _subcommands()
    for name, p in cmds.items():
        motifs = _option(p, "--motifs")
        if motifs is not None and motifs.help != argparse.SUPPRESS:
            # an input everywhere; simulate writes its motifs with --meme (--motifs: the hidden old name)
            assert motifs.help.startswith("motif file ("), (name, motifs.help)
        split = _option(p, "--split")
        if split is not None:
            assert split.help.startswith(SPLIT_HELP), name
        max_seqs = _option(p, "--max-seqs")
        if max_seqs is not None:
            assert max_seqs.help == MAX_SEQS_HELP, name
    for name in ("attribute", "cooccur", "interactions"):
        assert _option(cmds[name], "--data").help.startswith(DATA_HELP), name
    assert _option(cmds["interactions"], "--motifs").help == MOTIFS_HELP
    assert _option(cmds["benchmark"], "--split").default == "test"
    assert _option(cmds["simulate"], "--motifs").help == argparse.SUPPRESS


def test_benchmark_refuses_an_existing_output_before_the_work(tmp_path, capsys):
    out = tmp_path / "summary.tsv"
    out.write_text("mine\n")
    # the model and data do not exist: the refusal comes first, before anything is read
    rc = main(["benchmark", "--model", str(tmp_path / "m.keras"), "--data", str(tmp_path / "d.h5"),
               "-o", str(out)])
    assert rc == 1
    err = capsys.readouterr().err
    assert "--out" in err and "--overwrite" in err
    assert out.read_text() == "mine\n"


def test_simulate_meme_and_its_old_name(tmp_path, caplog):
    from kgenint.motifs import read_meme
    from kgenint.simulate import load

    new, old = tmp_path / "new.meme", tmp_path / "old.meme"
    assert main(["simulate", "--n", "20", "-o", str(tmp_path / "a.h5"), "--meme", str(new), "-q"]) == 0
    assert main(["simulate", "--n", "20", "-o", str(tmp_path / "b.h5"), "--motifs", str(old), "-q"]) == 0
    assert "use --meme" in caplog.text
    truth = load(tmp_path / "a.h5").truth
    for path in (new, old):
        got = read_meme(path)
        assert [m.name for m in got] == truth.motif_names
        for m, ref in zip(got, truth.motifs):
            np.testing.assert_allclose(m.pwm, ref.pwm, atol=1e-5)
    rc = main(["simulate", "--n", "20", "-o", str(tmp_path / "c.h5"), "--meme", str(new), "--motifs", str(old)])
    assert rc == 1 and not (tmp_path / "c.h5").exists()


@pytest.mark.parametrize("text, expected", [("1", True), ("-2.5e-3", True), (" 7 ", True), ("nan", True),
                                            ("inf", True), ("", False), ("1,5", False), ("A", False),
                                            ("0x10", False), ("1e", False)])
def test_is_number_is_what_float_reads(text, expected):
    from kgenint._validate import is_number

    assert is_number(text) is expected
    try:
        float(text)
        reads = True
    except ValueError:
        reads = False
    assert reads is expected
