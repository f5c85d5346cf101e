"""Argument checks shared by the whole library (private): one "did you mean" and one
``check_choice``, so that every bad option gets the same kind of message."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["check_choice", "did_you_mean"]


def did_you_mean(value: Any, choices: Iterable[Any]) -> str:
    """``" Did you mean 'x'?"`` for a value close to one of ``choices``, else ``""``.

    >>> did_you_mean("sefd", ["seed", "fit"])
    " Did you mean 'seed'?"
    """
    text = [str(c) for c in choices if c is not None]
    close = difflib.get_close_matches(str(value), text, n=1)
    if not close and isinstance(value, str):
        close = difflib.get_close_matches(value.lower(), text, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def check_choice(name: str, value: Any, choices: Sequence[Any] | Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``, else raise a ValueError that lists them.

    >>> check_choice("metric", "ncc", ("ncc", "mi"))
    'ncc'
    """
    options = list(choices)
    if value in options:
        return value
    raise ValueError(
        f"{name} must be one of {options!r}, got {value!r}.{did_you_mean(value, options)}"
    )
