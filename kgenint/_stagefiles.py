"""Old path of :mod:`kgenint.results.discovery` (kept for one release)."""
from .results.discovery import (  # noqa: F401
    LOOKED_FOR,
    ROLE_LABELS,
    Found,
    StageFiles,
    discover,
    read_annotation,
    stage_config,
)
