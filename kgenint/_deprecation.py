"""Old argument names that keep working one release (docs/api.md): :func:`renamed_args` maps
them to the new ones with a ``DeprecationWarning`` that names the new one. No TensorFlow here."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .errors import InputError

__all__ = ["renamed_args", "renamed_fields"]


def renamed_args(func: str, kwargs: dict, renames: dict[str, str], values: dict[str, Any],
                 defaults: dict[str, Any]) -> dict[str, Any]:
    """Map deprecated keyword names to the new ones (docs/api.md), with a ``DeprecationWarning``.

    Parameters
    ----------
    func : str
        Name of the calling function (for the messages).
    kwargs : dict
        The caller's ``**deprecated`` keywords; every key must be in ``renames``.
    renames : dict
        ``old name -> new name``.
    values, defaults : dict
        Current values and defaults of the new names.

    Returns
    -------
    dict
        ``new name -> value`` after applying the old names.

    Raises
    ------
    TypeError
        An unknown keyword (as Python would raise it).
    InputError
        Both the old and the new name given with different values.
    """
    out = dict(values)
    for old, value in kwargs.items():
        new = renames.get(old)
        if new is None:
            raise TypeError(f"{func}() got an unexpected keyword argument {old!r}")
        warnings.warn(f"{func}(): {old}= is deprecated; use {new}= (docs/api.md).", DeprecationWarning,
                      stacklevel=_caller_level())
        current = out.get(new, defaults.get(new))
        if not _same(current, defaults.get(new)) and not _same(current, value):
            raise InputError(f"{func}(): give {new}= only (its old name {old}= was given too, with another value).")
        out[new] = value
    return out


def renamed_fields(renames: dict[str, str]):
    """Class decorator: old names of constructor arguments that are also attributes (docs/api.md).

    For dataclass fields and for classes that store an ``__init__`` argument under the same
    name. The class's ``__init__`` takes the old keywords through :func:`renamed_args` (same
    warning, same error when both names are given with different values), and each old name
    becomes a property that reads and writes the new attribute with a ``DeprecationWarning``.
    :func:`inspect.signature` shows the wrapped ``__init__`` (new names only).

    Parameters
    ----------
    renames : dict
        ``old name -> new field name``.
    """
    import functools

    def deco(cls):
        init = cls.__init__

        @functools.wraps(init)
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            old = {k: kwargs.pop(k) for k in list(kwargs) if k in renames}
            if old:
                given = {n: kwargs[n] for n in renames.values() if n in kwargs}
                kwargs.update(renamed_args(cls.__name__, old, renames, given, {}))
            init(self, *args, **kwargs)

        cls.__init__ = __init__
        for old_name, new_name in renames.items():
            setattr(cls, old_name, _alias(cls.__name__, old_name, new_name))
        return cls

    return deco


def _alias(owner: str, old: str, new: str) -> property:
    msg = f"{owner}.{old} is deprecated; use {owner}.{new} (docs/api.md)."

    def fget(self):
        warnings.warn(msg, DeprecationWarning, stacklevel=_caller_level())
        return getattr(self, new)

    def fset(self, value):
        warnings.warn(msg, DeprecationWarning, stacklevel=_caller_level())
        setattr(self, new, value)

    return property(fget, fset, doc=f"Old name of ``{new}`` (deprecated).")


def _caller_level() -> int:
    """``stacklevel`` of the first frame outside the kgenint package (the user's call)."""
    import os
    import sys
    from types import FrameType

    root = os.path.dirname(os.path.abspath(__file__))
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(root + os.sep):
        frame, level = frame.f_back, level + 1
    return level


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return a is b
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:  # noqa: BLE001 - incomparable objects are different
        return a is b
