"""Gates: the checked results at the end of a chapter's experiments (every chapter).

A *gate* states a claim ("the U-Net beats the voxel MLP on the unseen center"), computes
the number that tests it on held-out data, and fails loudly when the number does not
support the claim. Two rules make a gate worth having:

1. it must be able to fail: its **margin** over the threshold is printed, and it must be
   larger than the **spread** the chapter measured (seeds, subjects), so that neither a
   different seed nor a last-digit change on another CPU decides it;
2. its **negative control** is run and shown: the same gate applied to a result that must
   fail it (learning rate 0, shuffled labels, the baseline itself) -- :func:`negative_control`.

Usage in a chapter::

    check_gate("U-Net - MLP Dice (lower 95 % bound)", gain.ci_low, 0.0, spread=0.0)
    negative_control("the MLP scored against itself",
                     lambda: check_gate("MLP - MLP Dice", 0.0, 0.0))

In a smoke run (``COURSE_SMOKE=1``, toy sizes) the numbers mean nothing: gates print what
they would have checked and do not raise.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from course_lib.core.profile import smoke_run

__all__ = ["GateFailed", "check_gate", "negative_control"]


class GateFailed(AssertionError):
    """A chapter's result does not support the claim its gate names."""


def _describe(
    claim: str, value: float, threshold: float, higher_is_better: bool, spread: float, digits: int
) -> tuple[bool, str]:
    margin = (value - threshold) if higher_is_better else (threshold - value)
    passed = math.isfinite(margin) and margin > spread
    relation = ">" if higher_is_better else "<"
    text = (
        f"{claim}: {value:.{digits}f} {relation} {threshold:.{digits}f}, "
        f"margin {margin:+.{digits}f}"
    )
    if spread:
        text += f" {'>' if passed else '<='} spread {spread:.{digits}f}"
    return passed, text


def check_gate(
    claim: str,
    value: float,
    threshold: float,
    *,
    higher_is_better: bool = True,
    spread: float = 0.0,
    digits: int = 3,
) -> float:
    """Check that ``value`` beats ``threshold`` by more than ``spread``; print the margin.

    Parameters
    ----------
    claim : str
        What the value measures, as a reader should see it (``"ViT - CNN accuracy"``).
    value, threshold : float
        The measured number and the number it must beat.
    higher_is_better : bool
        ``True``: the gate passes when ``value - threshold > spread``; ``False``: when
        ``threshold - value > spread`` (errors, distances).
    spread : float
        The variability the margin must exceed (e.g. the standard deviation over seeds).
    digits : int
        Decimals printed.

    Returns
    -------
    float
        The margin, ``value - threshold`` (or ``threshold - value``).

    Raises
    ------
    GateFailed
        If the margin is not larger than ``spread`` (or is not finite), except in a smoke run.
    """
    value, threshold, spread = float(value), float(threshold), float(spread)
    if spread < 0 or not math.isfinite(spread):
        raise ValueError(f"spread must be a finite number >= 0, got {spread}")
    passed, text = _describe(claim, value, threshold, higher_is_better, spread, digits)
    margin = (value - threshold) if higher_is_better else (threshold - value)
    if smoke_run():
        print(f"gate not enforced (smoke run): {text}")
        return margin
    if not passed:
        raise GateFailed(f"gate failed: {text}")
    print(f"gate passed: {text}")
    return margin


def negative_control(description: str, gate: Callable[[], Any]) -> None:
    """Show that a gate fails on a result that must fail it.

    Parameters
    ----------
    description : str
        The control, e.g. ``"learning rate 0"`` or ``"labels shuffled"``.
    gate : callable
        Runs the gate (usually a ``lambda`` calling :func:`check_gate`) on the control's result.

    Raises
    ------
    AssertionError
        If the gate *passes* on the control: then the gate cannot tell a model that learned
        from one that did not, and tests nothing.
    """
    if smoke_run():
        print(f"negative control not enforced (smoke run): {description}")
        return
    try:
        gate()
    except GateFailed as failure:
        print(f"negative control ({description}): {failure} -- as it must")
        return
    raise AssertionError(
        f"negative control ({description}) PASSED the gate: the gate cannot "
        "fail, so it tests nothing; tighten it"
    )
