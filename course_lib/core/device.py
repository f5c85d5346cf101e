"""Choose the compute device once, the same way in every chapter."""

from __future__ import annotations

import logging
import os

import torch

__all__ = ["get_device", "available_devices", "DEVICE_ENV"]

DEVICE_ENV = "COURSE_DEVICE"
_ALLOWED = ("cpu", "cuda", "mps")
logger = logging.getLogger(__name__)


def available_devices() -> list[str]:
    """Return the device types usable on this machine, best first (always ends with ``"cpu"``)."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    found.append("cpu")
    return found


def get_device(verbose: bool = False) -> torch.device:
    """Pick the device a chapter trains on.

    The order is CUDA, then Apple MPS, then CPU. The environment variable
    ``COURSE_DEVICE`` (``cpu``, ``cuda``, ``cuda:1``, ``mps``) overrides the choice.

    Parameters
    ----------
    verbose : bool
        Log (at INFO level) which device was picked and why.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If ``COURSE_DEVICE`` names an unknown device type.
    RuntimeError
        If ``COURSE_DEVICE`` asks for a device this machine does not have; the message
        lists what is available.
    """
    available = available_devices()
    requested = os.environ.get(DEVICE_ENV, "").strip().lower()
    if not requested:
        device = torch.device(available[0])
        reason = "best available"
    else:
        kind = requested.split(":")[0]
        if kind not in _ALLOWED:
            raise ValueError(
                f"{DEVICE_ENV}={requested!r} is not a device type; use one of "
                f"{', '.join(_ALLOWED)} (available here: {', '.join(available)})."
            )
        if kind not in available:
            raise RuntimeError(
                f"{DEVICE_ENV}={requested!r} but this machine has no {kind.upper()} device; "
                f"available: {', '.join(available)}. Unset {DEVICE_ENV} or set it to one of those."
            )
        device = torch.device(requested)
        if (
            device.type == "cuda"
            and device.index is not None
            and device.index >= torch.cuda.device_count()
        ):
            raise RuntimeError(
                f"{DEVICE_ENV}={requested!r} but only {torch.cuda.device_count()} CUDA "
                f"device(s) exist (indices 0..{torch.cuda.device_count() - 1})."
            )
        reason = f"from {DEVICE_ENV}"
    if verbose:
        logger.info("Using device %s (%s)", device, reason)
    return device
