"""Run profiles: how big a chapter's data and training are on this machine.

Every size and epoch count in a notebook comes from the profile, so one notebook serves a
student's laptop (``cpu``: 2-mm data, few epochs, each chapter <= 150 s on 2 cores) and a
GPU workstation (``gpu``: 1-mm data, 3-D variants, more epochs). ``full`` asks for the GPU
settings whatever the device (slow on a CPU, but complete).

Choose with the environment variable ``COURSE_PROFILE``; without it the profile follows the
device picked by :func:`course_lib.core.device.get_device`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any, Mapping

__all__ = ["Profile", "get_profile", "smoke_run", "PROFILES", "PROFILE_ENV", "SMOKE_ENV"]

PROFILE_ENV = "COURSE_PROFILE"
SMOKE_ENV = "COURSE_SMOKE"
PROFILES = ("cpu", "gpu", "full")


@dataclass(frozen=True)
class Profile:
    """A run profile.

    Attributes
    ----------
    name : str
        ``"cpu"``, ``"gpu"`` or ``"full"``.
    resolution : int
        Voxel size of the simulated data in mm (2 for ``cpu``, 1 otherwise).
    is_3d : bool
        Whether chapters use their 3-D model variants.
    time_budget_s : float or None
        Target wall time of one chapter (150 s for ``cpu``; None means no target).
    smoke : bool
        A smoke run (``COURSE_SMOKE=1``): toy sizes, 2-mm data, gates not enforced.
    memory_budget_gb : float or None
        Target peak memory of one chapter (3 GB for ``cpu``; None means no target).
    """

    name: str
    resolution: int
    is_3d: bool
    time_budget_s: float | None
    smoke: bool = False
    memory_budget_gb: float | None = None

    def select(
        self, cpu: Mapping[str, Any], gpu: Mapping[str, Any], smoke: Mapping[str, Any] | None = None
    ) -> SimpleNamespace:
        """Pick a chapter's knobs for this profile.

        Parameters
        ----------
        cpu, gpu : mapping
            The knobs (epochs, number of subjects, batch size...) for each profile. Both
            must have the same keys, so a chapter never misses a knob on one profile.
            ``full`` uses the ``gpu`` knobs.
        smoke : mapping, optional
            Toy values for a smoke run, applied over the profile's knobs (only names that
            ``cpu``/``gpu`` have). Required when the run is a smoke run.

        Returns
        -------
        types.SimpleNamespace
            The chosen knobs, as attributes (``knobs.epochs``).
        """
        if set(cpu) != set(gpu):
            missing = sorted(set(cpu) ^ set(gpu))
            raise ValueError(
                f"cpu and gpu knobs must have the same names; only one side has {missing}"
            )
        chosen = dict(cpu if self.name == "cpu" else gpu)
        if smoke is not None and set(smoke) - set(chosen):
            unknown = sorted(set(smoke) - set(chosen))
            raise ValueError(
                f"smoke knobs {unknown} are not cpu/gpu knobs; smoke only overrides them"
            )
        if self.smoke:
            if smoke is None:
                raise ValueError(
                    f"{SMOKE_ENV}=1 but this chapter gives no smoke knobs: add "
                    "smoke=dict(...) with toy sizes to profile.select(...)"
                )
            chosen.update(smoke)
        return SimpleNamespace(**chosen)

    def __str__(self) -> str:
        budget = f", budget {self.time_budget_s:.0f} s" if self.time_budget_s else ""
        dims = "3-D" if self.is_3d else "2-D"
        smoke = ", SMOKE RUN (toy sizes, gates not enforced)" if self.smoke else ""
        return f"profile '{self.name}': {self.resolution}-mm data, {dims} models{budget}{smoke}"


_DEFINITIONS = {
    "cpu": Profile("cpu", resolution=2, is_3d=False, time_budget_s=150.0, memory_budget_gb=3.0),
    "gpu": Profile("gpu", resolution=1, is_3d=True, time_budget_s=None),
    "full": Profile("full", resolution=1, is_3d=True, time_budget_s=None),
}


def get_profile(name: str | None = None) -> Profile:
    """Return the run profile.

    Parameters
    ----------
    name : str, optional
        ``"cpu"``, ``"gpu"`` or ``"full"``. When omitted, ``COURSE_PROFILE`` is read; when
        that is unset too, the profile is ``gpu`` on a CUDA/MPS device and ``cpu`` otherwise.

    Raises
    ------
    ValueError
        For an unknown profile name; the message lists the allowed values.
    """
    source = "argument"
    if name is None:
        name = os.environ.get(PROFILE_ENV, "").strip()
        source = PROFILE_ENV
    if not name:
        from course_lib.core.device import get_device

        return _with_smoke(_DEFINITIONS["cpu" if get_device().type == "cpu" else "gpu"])
    key = name.strip().lower()
    if key not in _DEFINITIONS:
        raise ValueError(
            f"Unknown profile {name!r} (from {source}); allowed values: {', '.join(PROFILES)}."
        )
    return _with_smoke(_DEFINITIONS[key])


def smoke_run() -> bool:
    """Whether this is a smoke run (``COURSE_SMOKE`` set to ``1``/``true``/``yes``)."""
    value = os.environ.get(SMOKE_ENV, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ValueError(f"{SMOKE_ENV}={value!r} is not understood: use 1 (smoke run) or 0.")


def _with_smoke(profile: Profile) -> Profile:
    """The profile itself, or its smoke-run variant (2-mm data, no time or memory budget)."""
    if not smoke_run():
        return profile
    return replace(profile, resolution=2, time_budget_s=None, memory_budget_gb=None, smoke=True)
