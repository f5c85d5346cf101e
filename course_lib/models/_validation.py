"""Argument checks shared by the models (private).

Every model validates its arguments in ``__init__`` so that a wrong
configuration fails at construction time, with a message that names the bad
parameter and suggests a fix (the MONAI habit), instead of failing later
with an obscure shape error deep inside ``forward``.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

from course_lib._checks import check_choice  # noqa: F401  (re-exported for the models)


def check_int(name: str, value: Any, minimum: int = 1, hint: str = "") -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= minimum.

    Parameters
    ----------
    name : str
        Parameter name, quoted in the error message.
    value : Any
        The value to check (``bool`` is rejected).
    minimum : int
        Smallest accepted value.
    hint : str
        Extra advice appended to the error message.

    Returns
    -------
    int
        The validated value.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{name} must be an integer >= {minimum}, got {value!r} "
            f"({type(value).__name__}). {hint}".rstrip()
        )
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}. {hint}".rstrip())
    return int(value)


def check_int_tuple(
    name: str, value: Any, minimum: int = 1, min_length: int = 1, hint: str = ""
) -> tuple[int, ...]:
    """Return ``value`` as a tuple of ints >= minimum (length >= min_length).

    Parameters
    ----------
    name : str
        Parameter name, quoted in the error message.
    value : Any
        A sequence of integers (a single int is rejected: give ``(n,)``).
    minimum : int
        Smallest accepted element.
    min_length : int
        Smallest accepted length.
    hint : str
        Extra advice appended to the error message.

    Returns
    -------
    tuple of int
        The validated values.
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValueError(
            f"{name} must be a sequence of integers such as (16, 32, 64), "
            f"got {value!r}. {hint}".rstrip()
        )
    items = tuple(value)
    if len(items) < min_length:
        raise ValueError(
            f"{name} must have at least {min_length} element(s), got {items!r}. {hint}".rstrip()
        )
    return tuple(check_int(f"{name}[{i}]", v, minimum, hint) for i, v in enumerate(items))


def check_probability(name: str, value: Any) -> float:
    """Return ``value`` as a float in [0, 1), or raise naming ``name``."""
    try:
        p = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}.") from None
    if not 0.0 <= p < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {p}; use 0.0 to disable dropout.")
    return p


def pair(name: str, value: Any) -> tuple[int, int]:
    """Return an image size as ``(H, W)`` from an int or a 2-sequence of ints."""
    if isinstance(value, (int,)) and not isinstance(value, bool):
        v = check_int(name, value)
        return (v, v)
    items = check_int_tuple(name, value, hint="Give an int or (H, W).")
    if len(items) != 2:
        raise ValueError(f"{name} must be an int or (H, W), got {value!r}.")
    return (items[0], items[1])
