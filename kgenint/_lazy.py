"""PEP 562 lazy exports: ``name -> submodule`` maps so package imports stay cheap."""
from __future__ import annotations

import importlib


def lazy_exports(package: str, mapping: dict[str, str]):
    """Return ``(__getattr__, __dir__)`` that import ``package.<mapping[name]>`` on first use."""

    def __getattr__(name: str):
        try:
            mod = mapping[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        return getattr(importlib.import_module(f"{package}.{mod}"), name)

    def __dir__():
        return sorted(mapping)

    return __getattr__, __dir__
