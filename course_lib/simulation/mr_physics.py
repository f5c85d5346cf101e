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

* GM and WM: *in-vivo* values (earlier versions used the ex-vivo tissue values of
  Stanisz et al. 2005, whose GM T1 at 3 T, 1820 ms, sits close to the null of the
  T1w inversion at TI 880 ms and exaggerated the 3 T WM/GM contrast).

  - T1 at 3 T: Wansapura et al. 1999: GM 1331 +- 13 ms, WM 832 +- 10 ms. Marques et al. 2010 (MP2RAGE) agree within
    3 % (GM 1350, WM 810 ms).
  - T1 at 1.5 T: Rooney et al. 2007 (cortical GM 1188 ms, WM 656 ms); Wright et al.
    2008 agree within 2 % (GM 1197, WM 646 ms). 1.5 -> 3 T lengthens T1 by 12 % (GM)
    and 27 % (WM), close to the 14-30 % Lu et al. 2005 measured in the same
    subjects at both fields.
  - T2 at 3 T: Wansapura et al. 1999 (GM 110 +- 2 ms, WM 79.6 +- 0.6 ms).
  - T2 at 1.5 T: *derived*, not measured: Wansapura's 3 T values times the in-vivo
    1.5 T / 3 T ratio Cox & Gowland 2010 measured with one method at both fields
    (frontal GM 87 / 76 ms, WM 80 / 71 ms), giving GM 126 ms and WM 90 ms. Taking a
    1.5 T study's values directly would mix methods: published in-vivo GM T2 at one
    field differs by more between methods (76 vs 110 ms at 3 T) than between fields.

  Published in-vivo brain T1 values vary widely with the mapping method (at 3 T,
  GM 1331-1763 ms: Wansapura 1999, Wright 2008, Rooney 2007; see the review of
  Bojorquez et al. 2017); the simulator needs values that are in vivo, ordered
  correctly and that change with field the way in-vivo studies report.
  Pure-tissue WM/GM T1w signal ratio with the default sequences (PD included; chapter
  01a prints it): 2.00 at 1.5 T and 1.85 at 3 T (1.27 and 2.38 with the ex-vivo values).
  The single-inversion formula ignores the MPRAGE readout train, which lowers the
  contrast of a real MPRAGE.
* CSF: T1 ~ 4.3 s with little field dependence (Rooney et al. 2007); T2 is well
  above 1 s (we use a round 2000 ms).
* PD: CSF 1.0, GM 0.86, WM 0.77, the BrainWeb phantom values (Kwan et al. 1999).
* MS lesion, tumour compartments: *illustrative* values, not measurements, set to
  reproduce the qualitative appearance radiologists describe (lesions and oedema:
  T1 and T2 prolonged versus normal WM, so dark on T1w and bright on T2w/FLAIR;
  necrosis: fluid-like; enhancing tumour: T1 shortened by gadolinium in ``T1ce``).

References
----------
Wansapura JP, Holland SK, Dunn RS, Ball WS. NMR relaxation times in the human brain at
3.0 tesla. J Magn Reson Imaging 1999;9:531-538.
doi:10.1002/(SICI)1522-2586(199904)9:4<531::AID-JMRI4>3.0.CO;2-L

Rooney WD, Johnson G, Li X, et al. Magnetic field and tissue dependencies of human brain
longitudinal 1H2O relaxation in vivo. Magn Reson Med 2007;57:308-318. doi:10.1002/mrm.21122

Wright PJ, Mougin OE, Totman JJ, et al. Water proton T1 measurements in brain tissue at 7, 3,
and 1.5 T using IR-EPI, IR-TSE, and MPRAGE. MAGMA 2008;21:121-130.
doi:10.1007/s10334-008-0104-8

Marques JP, Kober T, Krueger G, et al. MP2RAGE, a self bias-field corrected sequence for
improved segmentation and T1-mapping at high field. NeuroImage 2010;49:1271-1281.
doi:10.1016/j.neuroimage.2009.10.002

Cox EF, Gowland PA. Simultaneous quantification of T2 and T'2 using a combined gradient
echo-spin echo sequence at ultrahigh field. Magn Reson Med 2010;64:1440-1445.
doi:10.1002/mrm.22522 (PMID 20593370)

Lu H, Nagae-Poetscher LM, Golay X, et al. Routine clinical brain MRI sequences for use at
3.0 Tesla. J Magn Reson Imaging 2005;22:13-22. doi:10.1002/jmri.20356

Stanisz GJ, Odrobina EE, Pun J, et al. T1, T2 relaxation and magnetization transfer in
tissue at 3T. Magn Reson Med 2005;54:507-512. doi:10.1002/mrm.20605
(ex vivo; the GM/WM values used before SIMULATION_VERSION 1.1)

Bojorquez JZ, Bricq S, Acquitter C, et al. What are normal relaxation times of tissues
at 3 T? Magn Reson Imaging 2017;35:69-80. doi:10.1016/j.mri.2016.08.021

Kwan RK-S, Evans AC, Pike GB. MRI simulation-based evaluation of image-processing and
classification methods. IEEE TMI 1999;18:1085-1097. doi:10.1109/42.816072

Miller KL, Alfaro-Almagro F, Bangerter NK, et al. Multimodal population brain imaging in
the UK Biobank prospective epidemiological study. Nat Neurosci 2016;19:1523-1536.
doi:10.1038/nn.4393
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping
from typing import Sequence as SequenceType

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
    # In-vivo GM/WM values; sources and the derivation of the 1.5 T T2 in the module docstring.
    if field == 1.5:
        gm, wm = TissueParameters(1188.0, 126.0, 0.86), TissueParameters(656.0, 90.0, 0.77)
    else:
        gm, wm = TissueParameters(1331.0, 110.0, 0.86), TissueParameters(832.0, 79.6, 0.77)
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
