"""MR signal equations and tissue parameters: how T1w, T2w, PD and FLAIR contrast arise.

A voxel's signal is the sum of the signals of the tissues it contains, weighted
by their fractions (partial volume). Each tissue signal follows from its proton
density PD and relaxation times T1, T2 through the sequence's signal equation:

* spin echo (T2w, PD): ``S = PD (1 - exp(-TR/T1)) exp(-TE/T2)``;
* inversion recovery, magnitude (FLAIR, MPRAGE-like T1w):
  ``S = PD |1 - 2 exp(-TI/T1) + exp(-TR/T1)| exp(-TE/T2)``.

Default timings follow the UK Biobank brain protocol as shown in the lecture
(T1 MPRAGE TI/TR = 880/2000 ms, T2 FLAIR TI/TR = 1800/5000 ms; Miller et al.
2016). The MPRAGE readout is a gradient-echo train; the single-inversion formula
above is the textbook approximation of its contrast, not an exact model.

Tissue parameters
-----------------
Times in ms, PD relative to CSF = 1.

* GM and WM, 1.5 T and 3 T: Stanisz et al. 2005 (tissue at 37 C; WM T1 884 / 1084 ms,
  GM T1 1124 / 1820 ms, T2 WM 72 / 69 ms, GM 95 / 99 ms at 1.5 / 3 T). In-vivo 3 T
  values differ (Wansapura et al. 1999: WM T1 832, GM 1331 ms); the review of
  Bojorquez et al. 2017 shows how widely published brain T1 values vary at 3 T.
  Our simulator only needs the ordering and field trend, which all sources agree on.
* CSF: T1 ~ 4.3 s with little field dependence (Rooney et al. 2007); T2 is well
  above 1 s (we use a round 2000 ms).
* PD: CSF 1.0, GM 0.86, WM 0.77, the BrainWeb phantom values (Kwan et al. 1999).
* MS lesion, tumour compartments: *illustrative* values, not measurements, set to
  reproduce the qualitative appearance radiologists describe (lesions and oedema:
  T1 and T2 prolonged versus normal WM, so dark on T1w and bright on T2w/FLAIR;
  necrosis: fluid-like; enhancing tumour: T1 shortened by gadolinium in ``T1ce``).

References
----------
Stanisz GJ, Odrobina EE, Pun J, et al. T1, T2 relaxation and magnetization transfer in
tissue at 3T. Magn Reson Med 2005;54:507-512. doi:10.1002/mrm.20605

Wansapura JP, Holland SK, Dunn RS, Ball WS. NMR relaxation times in the human brain at
3.0 tesla. J Magn Reson Imaging 1999;9:531-538.
doi:10.1002/(SICI)1522-2586(199904)9:4<531::AID-JMRI4>3.0.CO;2-L

Bojorquez JZ, Bricq S, Acquitter C, et al. What are normal relaxation times of tissues
at 3 T? Magn Reson Imaging 2017;35:69-80. doi:10.1016/j.mri.2016.08.021

Rooney WD, Johnson G, Li X, et al. Magnetic field and tissue dependencies of human brain
longitudinal 1H2O relaxation in vivo. Magn Reson Med 2007;57:308-318. doi:10.1002/mrm.21122

Kwan RK-S, Evans AC, Pike GB. MRI simulation-based evaluation of image-processing and
classification methods. IEEE TMI 1999;18:1085-1097. doi:10.1109/42.816072

Miller KL, Alfaro-Almagro F, Bangerter NK, et al. Multimodal population brain imaging in
the UK Biobank prospective epidemiological study. Nat Neurosci 2016;19:1523-1536.
doi:10.1038/nn.4393
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, Sequence as SequenceType

import numpy as np

__all__ = [
    "TissueParameters",
    "TISSUE_PARAMETERS",
    "TISSUES",
    "Sequence",
    "DEFAULT_SEQUENCES",
    "CONTRASTS",
    "spin_echo",
    "inversion_recovery",
    "tissue_signals",
    "mix_signals",
]


@dataclass(frozen=True)
class TissueParameters:
    """Relaxation parameters of one tissue at one field strength.

    Attributes
    ----------
    t1_ms, t2_ms : float
        Longitudinal and transverse relaxation times in ms.
    pd : float
        Proton density relative to CSF (= 1).
    t1_gd_ms : float or None
        T1 after gadolinium (used by the ``T1ce`` contrast); None = unchanged.
    """

    t1_ms: float
    t2_ms: float
    pd: float
    t1_gd_ms: float | None = None


def _tissues(field: float) -> Mapping[str, TissueParameters]:
    if field == 1.5:
        gm, wm = TissueParameters(1124.0, 95.0, 0.86), TissueParameters(884.0, 72.0, 0.77)
    else:
        gm, wm = TissueParameters(1820.0, 99.0, 0.86), TissueParameters(1084.0, 69.0, 0.77)
    table = {
        "csf": TissueParameters(4300.0, 2000.0, 1.0),
        "gm": gm,
        "wm": wm,
        # Illustrative pathology (see module docstring): multiples of normal WM/GM.
        "lesion": TissueParameters(1.45 * wm.t1_ms, 2.4 * wm.t2_ms, 0.86),
        "edema": TissueParameters(1.6 * wm.t1_ms, 2.6 * wm.t2_ms, 0.90),
        "necrosis": TissueParameters(3000.0, 600.0, 0.95),
        "enhancing": TissueParameters(1.1 * gm.t1_ms, 1.3 * gm.t2_ms, 0.88, t1_gd_ms=420.0),
    }
    return MappingProxyType(table)


#: Field strength (tesla) -> tissue name -> :class:`TissueParameters` (read-only).
TISSUE_PARAMETERS: Mapping[float, Mapping[str, TissueParameters]] = MappingProxyType(
    {1.5: _tissues(1.5), 3.0: _tissues(3.0)}
)
#: Tissue names in the order used by :func:`tissue_signals`.
TISSUES: tuple[str, ...] = ("csf", "gm", "wm", "lesion", "edema", "necrosis", "enhancing")


def spin_echo(pd, t1, t2, tr: float, te: float):
    """Spin-echo signal ``PD (1 - exp(-TR/T1)) exp(-TE/T2)`` (arrays broadcast).

    Times in ms; returns arbitrary units proportional to PD.
    """
    return pd * (1.0 - np.exp(-tr / np.asarray(t1))) * np.exp(-te / np.asarray(t2))


def inversion_recovery(pd, t1, t2, tr: float, te: float, ti: float):
    """Magnitude inversion-recovery signal ``PD |1 - 2e^{-TI/T1} + e^{-TR/T1}| e^{-TE/T2}``.

    Used for FLAIR (TI chosen to null CSF: ``TI = T1 ln(2 / (1 + e^{-TR/T1}))``) and,
    as an approximation, MPRAGE-like T1w. Times in ms; arrays broadcast.
    """
    t1 = np.asarray(t1)
    mz = 1.0 - 2.0 * np.exp(-ti / t1) + np.exp(-tr / t1)
    return pd * np.abs(mz) * np.exp(-te / np.asarray(t2))


@dataclass(frozen=True)
class Sequence:
    """One acquisition: its kind and timing.

    Attributes
    ----------
    kind : str
        ``"SE"`` (spin echo) or ``"IR"`` (inversion recovery, magnitude).
    tr_ms, te_ms : float
        Repetition and echo time in ms.
    ti_ms : float or None
        Inversion time in ms (IR only).
    gadolinium : bool
        Use the tissues' post-contrast T1 (``t1_gd_ms``) when available.
    """

    kind: str
    tr_ms: float
    te_ms: float
    ti_ms: float | None = None
    gadolinium: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("SE", "IR"):
            raise ValueError(f"Sequence kind must be 'SE' or 'IR', got {self.kind!r}.")
        if self.kind == "IR" and self.ti_ms is None:
            raise ValueError("An 'IR' Sequence needs ti_ms (inversion time in ms).")

    def signal(self, tissue: TissueParameters) -> float:
        """Noise-free signal of a pure voxel of ``tissue`` (arbitrary units)."""
        t1 = tissue.t1_gd_ms if (self.gadolinium and tissue.t1_gd_ms) else tissue.t1_ms
        if self.kind == "SE":
            return float(spin_echo(tissue.pd, t1, tissue.t2_ms, self.tr_ms, self.te_ms))
        return float(
            inversion_recovery(tissue.pd, t1, tissue.t2_ms, self.tr_ms, self.te_ms, self.ti_ms)
        )


#: Contrasts the simulator can produce.
CONTRASTS: tuple[str, ...] = ("T1w", "T2w", "PD", "FLAIR", "T1ce")

#: Default sequences (UK Biobank TI/TR for T1w and FLAIR; typical clinical dual-echo
#: turbo spin echo for PD and T2w). The FLAIR echo time (160 ms) is an illustrative
#: choice that makes GM slightly brighter than WM at 3 T, as on clinical FLAIR; the
#: single-echo formula does not model a 3-D variable-flip-angle echo train.
#: Centers may override these.
DEFAULT_SEQUENCES: Mapping[str, Sequence] = MappingProxyType(
    {
        "T1w": Sequence("IR", tr_ms=2000.0, te_ms=3.0, ti_ms=880.0),
        "T2w": Sequence("SE", tr_ms=5000.0, te_ms=100.0),
        "PD": Sequence("SE", tr_ms=5000.0, te_ms=12.0),
        "FLAIR": Sequence("IR", tr_ms=5000.0, te_ms=160.0, ti_ms=1800.0),
        "T1ce": Sequence("IR", tr_ms=2000.0, te_ms=3.0, ti_ms=880.0, gadolinium=True),
    }
)


def tissue_signals(
    sequence: Sequence, field_strength: float, tissues: SequenceType[str] = TISSUES
) -> np.ndarray:
    """Pure-tissue signals of ``tissues`` for one sequence, shape ``(len(tissues),)`` float32."""
    if field_strength not in TISSUE_PARAMETERS:
        raise ValueError(
            f"field_strength must be one of {tuple(TISSUE_PARAMETERS)} T, got {field_strength!r}."
        )
    table = TISSUE_PARAMETERS[field_strength]
    return np.array([sequence.signal(table[name]) for name in tissues], dtype=np.float32)


def mix_signals(fractions: np.ndarray, signals: np.ndarray) -> np.ndarray:
    """Partial-volume mixing: ``sum_k fractions[k] * signals[k]``.

    Parameters
    ----------
    fractions : np.ndarray
        ``(K, X, Y, Z)`` tissue fractions (sum <= 1; the rest is empty background).
    signals : np.ndarray
        ``(K,)`` pure-tissue signals.

    Returns
    -------
    np.ndarray
        ``(X, Y, Z)`` float32 noise-free image.
    """
    out = np.zeros(fractions.shape[1:], dtype=np.float32)
    for fraction, signal in zip(fractions, signals):
        if signal != 0.0:
            out += np.float32(signal) * fraction
    return out
