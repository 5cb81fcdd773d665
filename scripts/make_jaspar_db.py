#!/usr/bin/env python
"""Build kgenint's embedded motif databases from the JASPAR SQLite file shipped with pyjaspar.

Writes, into ``kgenint/motifs/data/``:

* ``JASPAR2024_CORE_vertebrates_non-redundant.meme``: every JASPAR 2024 CORE vertebrate
  profile, latest version of each matrix (879 motifs). Probabilities are count / column total,
  ``nsites`` the largest column total (as :meth:`Motif.from_counts`), one ``URL`` line each.
* ``curated.meme``: a few dozen distinct, informative, well-known profiles (see ``CURATED``)
  with low-information flanks trimmed, for the simulator to plant.

Runs offline (no network). Requires ``pyjaspar`` (4.0.0 ships JASPAR2014-2026 SQLite files)::

    .venv/bin/python scripts/make_jaspar_db.py            # write the files
    .venv/bin/python scripts/make_jaspar_db.py --check    # only verify the committed files

The curated set is checked for near-duplicates with
:func:`kgenint.motifs.database.motif_similarity` (column-correlation similarity; the criterion
is documented there and in the file header): every pair must be below
``CURATED_MAX_SIMILARITY``. Motifs in ``CURATED`` are taken greedily in list order and a motif
too similar to one already taken is dropped with a message.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kgenint.motifs import io as mio  # noqa: E402
from kgenint.motifs.database import (  # noqa: E402
    CURATED_MAX_SIMILARITY,
    CURATED_TRIM_IC,
    CURATED_WIDTH_RANGE,
    DATA_DIR,
    DEFAULT_DATABASE,
    CURATED_DATABASE,
    motif_similarity,
)
from kgenint.motifs.motif import Motif  # noqa: E402

RELEASE = "JASPAR2024"
EXPECTED_COUNT = 879
URL = "https://jaspar.elixir.no/matrix/{}/"
CITATION = (
    "Rauluseviciute I, Riudavets-Puig R, Blanc-Mathieu R, et al. JASPAR 2024: 20th anniversary "
    "of the open-access database of transcription factor binding profiles. Nucleic Acids Res. "
    "2024;52(D1):D174-D182. doi:10.1093/nar/gkad1059"
)
LICENCE = (
    "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). Changes made by kgenint: counts "
    "converted to probabilities, MEME format"
)

#: Candidate curated profiles, in priority order: (JASPAR matrix id, why it is there).
CURATED: list[tuple[str, str]] = [
    ("MA0139.2", "CTCF, insulator"),
    ("MA0035.5", "GATA1, GATA family"),
    ("MA0080.7", "SPI1 (PU.1), ETS-like myeloid"),
    ("MA0466.4", "CEBPB, bZIP C/EBP"),
    ("MA0148.5", "FOXA1, forkhead"),
    ("MA0114.5", "HNF4A, nuclear receptor DR1"),
    ("MA0107.1", "RELA, NF-kB"),
    ("MA0106.3", "TP53"),
    ("MA0506.3", "NRF1"),
    ("MA0079.5", "SP1, GC box"),
    ("MA0039.5", "KLF4 (expected to collide with SP1)"),
    ("MA0058.4", "MAX, E-box CACGTG"),
    ("MA0147.4", "MYC (expected to collide with MAX)"),
    ("MA0099.4", "FOS::JUN, AP-1 TGAsTCA"),
    ("MA0018.5", "CREB1, CRE"),
    ("MA0028.3", "ELK1, ETS"),
    ("MA1419.2", "IRF4"),
    ("MA0002.3", "RUNX1"),
    ("MA0090.4", "TEAD1"),
    ("MA0143.5", "SOX2"),
    ("MA0095.4", "YY1 (expected to collide with SOX2: shared CCAT/ATGG core)"),
    ("MA1115.2", "POU5F1, octamer"),
    ("MA0060.4", "NFYA, CCAAT box"),
    ("MA0138.3", "REST (NRSE)"),
    ("MA0497.2", "MEF2C"),
    ("MA0144.3", "STAT3"),
    ("MA0024.3", "E2F1"),
    ("MA0083.3", "SRF, CArG box"),
    ("MA0088.2", "ZNF143"),
    ("MA0046.3", "HNF1A"),
    ("MA0091.2", "TAL1::TCF3, E-box CAGATG"),
    ("MA0113.4", "NR3C1, glucocorticoid receptor"),
    ("MA0112.4", "ESR1, estrogen receptor"),
    ("MA0154.5", "EBF1"),
    ("MA0509.3", "RFX1, X box"),
    ("MA0486.2", "HSF1, heat shock element"),
    ("MA0523.2", "TCF7L2, WNT"),
    ("MA1105.3", "GRHL2"),
    ("MA0527.2", "ZBTB33 (Kaiso)"),
    ("MA0100.4", "MYB"),
    ("MA0465.3", "CDX2, caudal homeobox"),
    ("MA0872.1", "TFAP2A, AP-2"),
    ("MA0463.3", "BCL6"),
    ("MA0014.4", "PAX5"),
]


def fetch() -> list[Motif]:
    """All CORE vertebrate profiles of ``RELEASE``, latest version of each base id."""
    from pyjaspar import __version__ as pyjaspar_version
    from pyjaspar import jaspardb

    db = jaspardb(release=RELEASE)
    latest = db.fetch_motifs(collection="CORE", tax_group=["vertebrates"], all_versions=False)
    every = db.fetch_motifs(collection="CORE", tax_group=["vertebrates"], all_versions=True)
    newest: dict[str, int] = {}
    for m in every:
        newest[m.base_id] = max(newest.get(m.base_id, 0), int(m.version))
    assert len(latest) == EXPECTED_COUNT, f"expected {EXPECTED_COUNT} motifs, got {len(latest)}"
    assert len({m.base_id for m in latest}) == len(latest), "a base id appears twice"
    motifs = []
    for m in latest:
        assert m.collection == "CORE" and m.tax_group == "vertebrates", m.matrix_id
        assert int(m.version) == newest[m.base_id], f"{m.matrix_id} is not the latest version"
        counts = np.array([m.counts[b] for b in "ACGT"], dtype=np.float64).T
        name = m.name.strip()
        assert name and not any(c.isspace() for c in name), repr(name)
        motifs.append(
            Motif.from_counts(counts, name=m.matrix_id, alt_name=name, url=URL.format(m.matrix_id))
        )
    motifs.sort(key=lambda x: (x.name.split(".")[0], int(x.name.split(".")[1])))
    print(f"pyjaspar {pyjaspar_version}: {RELEASE} CORE vertebrates, {len(motifs)} motifs "
          f"(latest versions of {len(newest)} base ids)", file=sys.stderr)
    return motifs


def header(kind: str, n: int) -> list[str]:
    return [
        f"{kind}: {n} motifs.",
        f"Source: {RELEASE} (JASPAR release 2024), collection CORE, taxonomic group vertebrates,",
        "latest version of each matrix (the 'non-redundant' set), read from the SQLite database",
        "shipped with pyjaspar 4.0.0 by kgenint's scripts/make_jaspar_db.py.",
        "Probabilities = counts / column total; nsites = largest column total.",
        f"Licence: {LICENCE}.",
        f"Please cite: {CITATION}",
    ]


def curate(motifs: list[Motif]) -> list[Motif]:
    by_id = {m.name: m for m in motifs}
    chosen: list[Motif] = []
    lo, hi = CURATED_WIDTH_RANGE
    for mid, why in CURATED:
        t = by_id[mid].trim(CURATED_TRIM_IC)
        if not lo <= t.width <= hi:
            print(f"skip {mid} {t.alt_name}: width {t.width} after trimming", file=sys.stderr)
            continue
        clash = [(motif_similarity(t, c), c) for c in chosen]
        clash = [(s, c) for s, c in clash if s >= CURATED_MAX_SIMILARITY]
        if clash:
            s, c = max(clash, key=lambda x: x[0])
            print(f"skip {mid} {t.alt_name} ({why}): similarity {s:.3f} to {c.name} {c.alt_name}",
                  file=sys.stderr)
            continue
        chosen.append(t)
    return chosen


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed files only")
    args = ap.parse_args(argv)
    motifs = fetch()
    text = mio.write_meme(
        motifs, comments=header("JASPAR 2024 CORE vertebrates, non-redundant", len(motifs))
    )
    cur = curate(motifs)
    cur_comments = (
        header("kgenint curated subset of JASPAR 2024 CORE vertebrates", len(cur))
        + [
            f"Further change: each matrix trimmed of flanking positions below {CURATED_TRIM_IC} bit; widths "
            f"{CURATED_WIDTH_RANGE[0]}-{CURATED_WIDTH_RANGE[1]}.",
            "No two motifs are near-duplicates: kgenint.motifs.database.motif_similarity < "
            f"{CURATED_MAX_SIMILARITY}",
            "(best mean Pearson correlation of aligned columns over both strands and all offsets",
            "with >= min(5, shorter width) overlapping columns, summed and divided by the shorter width).",
        ]
    )
    cur_text = mio.write_meme(cur, comments=cur_comments)
    print(f"curated: {len(cur)} motifs: {' '.join(m.alt_name for m in cur)}", file=sys.stderr)
    if args.check:
        ok = DEFAULT_DATABASE.read_text() == text and CURATED_DATABASE.read_text() == cur_text
        print("up to date" if ok else "OUT OF DATE: rerun without --check", file=sys.stderr)
        return 0 if ok else 1
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    mio.write_meme(motifs, DEFAULT_DATABASE,
                   comments=header("JASPAR 2024 CORE vertebrates, non-redundant", len(motifs)))
    mio.write_meme(cur, CURATED_DATABASE, comments=cur_comments)
    print(f"wrote {DEFAULT_DATABASE} ({DEFAULT_DATABASE.stat().st_size} bytes) and "
          f"{CURATED_DATABASE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
