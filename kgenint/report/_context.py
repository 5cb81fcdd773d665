"""What the report's sections draw from: the results dict and the file of each role."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..results.layout import DEMO_FILES, demo_file_map as _demo_file_map  # noqa: F401
from ._figures import _Figures
from ._html import _esc

@dataclass
class _Ctx:
    """What the sections draw from: the results dict (:func:`kgenint.pipeline.read_results`
    layout) and the file of each role (``files``: role -> path; see ``DEMO_FILES``)."""

    out: Path
    results: dict
    fig: _Figures
    files: dict[str, Path] = field(default_factory=dict)
    stage: Any = None  # kgenint._stagefiles.StageFiles for a stage directory, None for a demo one
    loaded: dict = field(default_factory=dict)  # role -> object already read (scans, by collect_results)

    def load(self, role: str, loader: Callable[[Path], Any]) -> Any:
        """The object of ``role``'s file, read with ``loader`` once per report."""
        if role not in self.loaded:
            self.loaded[role] = loader(self.file(role))
        return self.loaded[role]

    @property
    def tables(self) -> dict:
        return self.results.get("tables") or {}

    @property
    def scores(self) -> dict:
        return self.results.get("scores") or {}

    def has(self, role: str) -> bool:
        p = self.files.get(role)
        return p is not None and p.exists()

    def file(self, role: str) -> Path:
        return self.files[role]

    def name(self, role: str) -> str:
        """The role's file relative to the directory (for notices)."""
        p = self.files.get(role)
        return DEMO_FILES.get(role, role) if p is None else self._rel(p)

    def source(self, *roles: str) -> str:
        """A line naming the files a section was drawn from (and the older ones not used)."""
        names = []
        for r in roles:
            if r == "attributions":
                names += [self.name(k) for k in self.files if k.startswith("attributions:")]
            elif self.has(r):
                names.append(self.name(r))
        if not names:
            return ""
        text = "From " + ", ".join(f"<code>{_esc(n)}</code>" for n in dict.fromkeys(names))
        if self.stage is not None:
            older = [f for f in self.stage.unused if f.role in roles]
            if older:
                text += (" (the newest of its kind; not used: "
                         + ", ".join(f"<code>{_esc(self._rel(f.path))}</code>" for f in older) + ")")
        return f'<p class="sub src">{text}.</p>'

    def _rel(self, p: Path) -> str:
        try:
            return str(p.relative_to(self.out))
        except ValueError:
            return str(p)




def _results_source(c: _Ctx, *roles: str) -> str:
    """Source line of a section drawn from the summary: ``results.h5`` of a demo directory,
    the stage files it was computed from otherwise."""
    if c.stage is None or c.has("results"):
        return c.source("results")
    return c.source(*roles)
