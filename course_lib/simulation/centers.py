"""Scanner / center presets named after the four MS-SEG 2016 scanners.

The MS-SEG 2016 challenge (Commowick et al. 2018) pooled images from four
scanners: Siemens Verio 3T (center 01, Rennes), GE Discovery 3T (03, Bordeaux),
Siemens Aera 1.5T (07, Lyon) and Philips Ingenia 3T (08, Lyon); the lecture
stresses that all methods suffered on the lower-quality center 03. Our presets
borrow those names to make a *domain shift* concrete: field strength (tissue
T1), sequence timing, noise, bias-field strength, slice thickness and
intensity scale differ between centers.

The numbers are **illustrative** choices that produce visibly different images,
not measurements of the real scanners or of the MS-SEG data.

References
----------
Commowick O, Istace A, Kain M, et al. Objective evaluation of multiple sclerosis lesion
segmentation using a data management and processing infrastructure. Sci Rep
2018;8:13650. doi:10.1038/s41598-018-31911-7
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from .mr_physics import DEFAULT_SEQUENCES, Sequence

__all__ = ["Center", "CENTERS", "get_center", "CENTER_ALIASES"]


@dataclass(frozen=True)
class Center:
    """One scanner preset.

    Attributes
    ----------
    key : str
        Name used in the API (``"siemens_verio_3t"``, ...).
    msseg_id : str
        MS-SEG center number (``"01"``, ``"03"``, ``"07"``, ``"08"``).
    label : str
        Human-readable scanner name.
    field_strength : float
        1.5 or 3.0 tesla; selects the tissue T1/T2 table.
    sequences : Mapping[str, Sequence]
        Contrast name -> :class:`Sequence` (timings in ms).
    noise : float
        Standard deviation of each of the two Gaussian channels of the complex
        noise, as a fraction of the mean brain signal of each contrast (the
        magnitude then has Rician statistics).
    bias : float
        Standard deviation of the log bias field (0.1 = about +-10 % smooth
        multiplicative intensity inhomogeneity).
    slice_thickness_mm : Mapping[str, float]
        Per-contrast slice thickness in mm along z; thicker than the grid spacing
        means through-plane partial-volume averaging (2-D acquisitions).
    intensity_scale : float
        Multiplies every image (scanners store arbitrary units).
    contrast_jitter : float
        Relative per-subject jitter of tissue signals (scanner drift, physiology).
    """

    key: str
    msseg_id: str
    label: str
    field_strength: float
    sequences: Mapping[str, Sequence]
    noise: float
    bias: float
    slice_thickness_mm: Mapping[str, float] = field(default_factory=dict)
    intensity_scale: float = 1000.0
    contrast_jitter: float = 0.03

    def to_dict(self) -> dict:
        """JSON-serialisable description (used in subject metadata and cache keys)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["sequences"] = {k: dataclasses.asdict(v) for k, v in self.sequences.items()}
        out["slice_thickness_mm"] = dict(self.slice_thickness_mm)
        return out


def _sequences(**overrides: Sequence) -> Mapping[str, Sequence]:
    table = dict(DEFAULT_SEQUENCES)
    table.update(overrides)
    return MappingProxyType(table)


#: Center key -> :class:`Center` (read-only).
CENTERS: Mapping[str, Center] = MappingProxyType(
    {
        "siemens_verio_3t": Center(
            key="siemens_verio_3t",
            msseg_id="01",
            label="Siemens Verio 3T",
            field_strength=3.0,
            sequences=_sequences(),
            noise=0.025,
            bias=0.10,
            slice_thickness_mm=MappingProxyType({"T2w": 3.0, "PD": 3.0}),
            intensity_scale=1000.0,
        ),
        "ge_discovery_3t": Center(
            key="ge_discovery_3t",
            msseg_id="03",
            label="GE Discovery 3T",
            field_strength=3.0,
            sequences=_sequences(
                T1w=Sequence("IR", tr_ms=2100.0, te_ms=3.0, ti_ms=950.0),
                FLAIR=Sequence("IR", tr_ms=4800.0, te_ms=100.0, ti_ms=1750.0),
            ),
            noise=0.09,
            bias=0.30,
            slice_thickness_mm=MappingProxyType({"T2w": 4.0, "PD": 4.0, "FLAIR": 4.0}),
            intensity_scale=2500.0,
            contrast_jitter=0.06,
        ),
        "siemens_aera_1.5t": Center(
            key="siemens_aera_1.5t",
            msseg_id="07",
            label="Siemens Aera 1.5T",
            field_strength=1.5,
            sequences=_sequences(
                T1w=Sequence("IR", tr_ms=2000.0, te_ms=3.0, ti_ms=900.0),
                FLAIR=Sequence("IR", tr_ms=5000.0, te_ms=120.0, ti_ms=1800.0),
            ),
            noise=0.045,
            bias=0.15,
            slice_thickness_mm=MappingProxyType({"T2w": 3.0, "PD": 3.0}),
            intensity_scale=800.0,
        ),
        "philips_ingenia_3t": Center(
            key="philips_ingenia_3t",
            msseg_id="08",
            label="Philips Ingenia 3T",
            field_strength=3.0,
            sequences=_sequences(
                T1w=Sequence("IR", tr_ms=2200.0, te_ms=4.0, ti_ms=1000.0),
                T2w=Sequence("SE", tr_ms=4500.0, te_ms=90.0),
                FLAIR=Sequence("IR", tr_ms=4800.0, te_ms=140.0, ti_ms=1760.0),
            ),
            noise=0.03,
            bias=0.20,
            slice_thickness_mm=MappingProxyType({"T2w": 3.0, "PD": 3.0}),
            intensity_scale=4095.0,
        ),
    }
)

#: MS-SEG center numbers accepted by :func:`get_center`.
CENTER_ALIASES: Mapping[str, str] = MappingProxyType(
    {center.msseg_id: key for key, center in CENTERS.items()}
)


def get_center(name: str | Center) -> Center:
    """Look up a center by key (``"ge_discovery_3t"``) or MS-SEG number (``"03"``).

    Parameters
    ----------
    name : str or Center
        A key of :data:`CENTERS`, an MS-SEG number ``"01" | "03" | "07" | "08"``,
        or a :class:`Center` (returned unchanged).

    Returns
    -------
    Center

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the allowed names.
    """
    if isinstance(name, Center):
        return name
    if isinstance(name, str):
        key = CENTER_ALIASES.get(name.strip(), name.strip().lower())
        if key in CENTERS:
            return CENTERS[key]
    allowed = ", ".join(f"{key!r} ({c.msseg_id})" for key, c in CENTERS.items())
    raise ValueError(f"Unknown center {name!r}; allowed: {allowed}.")
