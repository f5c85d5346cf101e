"""Challenge-style evaluation: leaderboards, bootstrap rank stability, a thresholding baseline.

A segmentation challenge (MS-SEG 2016: 53 cases, 13 teams, Commowick et al. 2018) turns
per-case scores into one ranking. Two common schemes, which can disagree:

* **aggregate-then-rank**: average each method's metric over cases, then rank the means;
* **rank-then-aggregate**: rank the methods on every case, then average each method's
  ranks over cases (one bad case costs at most one rank).

The ranking is a statistic of the test cases, so it has sampling variability: drawing
the cases again (a bootstrap, with replacement) and re-ranking shows how often the winner
would change (Maier-Hein et al. 2018; Wiesenfarth et al. 2021). :func:`bootstrap_ranking`
does this, vectorised and seeded.

:func:`threshold_lesions` is the simplest "team": FLAIR hyperintensities above a z-score
threshold inside the brain, with optional size filter and dilation (an over-segmenting
variant is one dilation away).

Scores are arrays ``(n_methods, n_cases)`` or mappings ``method -> (n_cases,)`` of finite
numbers (replace infinite surface distances first, e.g. by the image diagonal).

References
----------
.. [1] O. Commowick et al., "Objective evaluation of multiple sclerosis lesion
   segmentation using a data management and processing infrastructure", Scientific
   Reports 8:13650, 2018. doi:10.1038/s41598-018-31911-7
.. [2] L. Maier-Hein et al., "Why rankings of biomedical image analysis competitions
   should be interpreted with care", Nature Communications 9:5217, 2018.
   doi:10.1038/s41467-018-07619-7
.. [3] M. Wiesenfarth et al., "Methods and open-source toolkit for analyzing and
   visualizing challenge results", Scientific Reports 11:2369, 2021.
   doi:10.1038/s41598-021-82017-6
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from scipy.stats import rankdata

__all__ = [
    "SCHEMES",
    "score_matrix",
    "rank_methods",
    "Leaderboard",
    "leaderboard",
    "BootstrapRanking",
    "bootstrap_ranking",
    "threshold_lesions",
]

Scheme = Literal["aggregate-then-rank", "rank-then-aggregate"]
#: Ranking schemes understood by :func:`rank_methods`.
SCHEMES: tuple[str, ...] = ("aggregate-then-rank", "rank-then-aggregate")


def score_matrix(
    scores: Any, methods: Sequence[str] | None = None
) -> tuple[NDArray[np.float64], list[str]]:
    """Return ``(matrix (n_methods, n_cases) float64, method names)``.

    Parameters
    ----------
    scores : mapping of str to sequence of float, or array_like (n_methods, n_cases)
        One row of per-case scores per method; every row has the same cases, in order.
    methods : sequence of str, optional
        Names for an array input (default ``"method0"``, ``"method1"``...); ignored
        (taken from the keys) for a mapping.

    Raises
    ------
    ValueError
        Fewer than 2 methods or 1 case, rows of different lengths, or non-finite scores.
    """
    if isinstance(scores, Mapping):
        names = [str(k) for k in scores]
        rows = [np.asarray(v, dtype=np.float64).ravel() for v in scores.values()]
        lengths = sorted({r.size for r in rows})
        if len(lengths) > 1:
            raise ValueError(
                f"every method needs a score for the same cases; got row lengths {lengths}"
            )
        matrix = np.stack(rows) if rows else np.zeros((0, 0))
    else:
        matrix = np.asarray(scores, dtype=np.float64)
        if matrix.ndim != 2:
            raise ValueError(f"scores must be (n_methods, n_cases), got shape {matrix.shape}")
        names = list(methods) if methods is not None else [f"method{i}" for i in range(len(matrix))]
        if len(names) != len(matrix):
            raise ValueError(f"{len(names)} method names for {len(matrix)} rows of scores")
    if matrix.shape[0] < 2 or matrix.shape[1] < 1:
        raise ValueError(
            f"need >= 2 methods and >= 1 case to rank, got shape {matrix.shape} (methods, cases)"
        )
    if not np.all(np.isfinite(matrix)):
        raise ValueError(
            "scores contain NaN or inf (e.g. a Hausdorff distance to an empty mask); replace "
            "them first, e.g. by course_lib.metrics.image_diagonal(shape, spacing)"
        )
    return matrix, names


def _check_scheme(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")


def rank_methods(
    scores: Any, higher_is_better: bool = True, scheme: Scheme = "aggregate-then-rank"
) -> NDArray[np.float64]:
    """Rank methods (1 = best; tied methods share the average rank).

    Parameters
    ----------
    scores : mapping or array_like (n_methods, n_cases)
        See :func:`score_matrix`.
    higher_is_better : bool
        True for Dice, F1...; False for distances and volume errors.
    scheme : {"aggregate-then-rank", "rank-then-aggregate"}
        See the module docstring.

    Returns
    -------
    ndarray (n_methods,) float64
        Rank of each method, in the input order.
    """
    _check_scheme(scheme)
    matrix, _ = score_matrix(scores)
    return _ranks(matrix, higher_is_better, scheme)


def _ranks(matrix: np.ndarray, higher_is_better: bool, scheme: str) -> np.ndarray:
    signed = -matrix if higher_is_better else matrix  # small = good
    per_case = signed if scheme == "aggregate-then-rank" else rankdata(signed, axis=0)
    return rankdata(per_case.mean(axis=1))


@dataclass(frozen=True)
class Leaderboard:
    """Methods in rank order with their aggregated score.

    Attributes
    ----------
    methods : tuple of str
        Best first (ties keep the input order).
    ranks : ndarray (n_methods,)
        Rank of each listed method (1 = best; ties averaged).
    mean, std : ndarray (n_methods,)
        Mean and sample standard deviation of the metric over cases.
    mean_case_rank : ndarray (n_methods,)
        Average per-case rank (the rank-then-aggregate statistic).
    metric : str
        Name of the metric (for the table header).
    scheme : str
        Ranking scheme used.
    """

    methods: tuple[str, ...]
    ranks: NDArray[np.float64]
    mean: NDArray[np.float64]
    std: NDArray[np.float64]
    mean_case_rank: NDArray[np.float64]
    metric: str
    scheme: str

    @property
    def winner(self) -> str:
        """The first-ranked method."""
        return self.methods[0]

    def format(self, digits: int = 3) -> str:
        """The table as fixed-width text (rank, method, mean (std), mean per-case rank)."""
        width = max(len("method"), *(len(m) for m in self.methods))
        lines = [
            f"rank  {'method':<{width}}  {self.metric + ' mean (std)':>20}  mean case rank",
            "-" * (width + 44),
        ]
        for r, m, mu, sd, cr in zip(
            self.ranks, self.methods, self.mean, self.std, self.mean_case_rank
        ):
            value = f"{mu:.{digits}f} ({sd:.{digits}f})"
            lines.append(f"{r:>4g}  {m:<{width}}  {value:>20}  {cr:>14.2f}")
        return "\n".join(lines)


def leaderboard(
    scores: Any,
    metric: str = "score",
    higher_is_better: bool = True,
    scheme: Scheme = "aggregate-then-rank",
) -> Leaderboard:
    """Build a leaderboard from per-case scores.

    Parameters
    ----------
    scores : mapping of str to sequence of float, or array_like (n_methods, n_cases)
        Per-case scores of each method (same cases for all).
    metric : str
        Name shown in the table.
    higher_is_better : bool
        Direction of the metric.
    scheme : {"aggregate-then-rank", "rank-then-aggregate"}
        How per-case scores become ranks.

    Returns
    -------
    Leaderboard
    """
    _check_scheme(scheme)
    matrix, names = score_matrix(scores)
    ranks = _ranks(matrix, higher_is_better, scheme)
    case_ranks = rankdata(-matrix if higher_is_better else matrix, axis=0).mean(axis=1)
    std = matrix.std(axis=1, ddof=1) if matrix.shape[1] > 1 else np.full(len(names), np.nan)
    order = np.argsort(ranks, kind="stable")
    return Leaderboard(
        methods=tuple(names[i] for i in order),
        ranks=ranks[order],
        mean=matrix.mean(axis=1)[order],
        std=std[order],
        mean_case_rank=case_ranks[order],
        metric=metric,
        scheme=scheme,
    )


@dataclass(frozen=True)
class BootstrapRanking:
    """Rankings recomputed on bootstrap resamples of the cases.

    Attributes
    ----------
    methods : tuple of str
        Input order (rows of ``ranks``'s columns and of ``rank_frequency``).
    full_ranks : ndarray (n_methods,)
        Ranks on all cases.
    winner : str
        First-ranked method on all cases (ties: first in input order).
    ranks : ndarray (n_bootstrap, n_methods)
        Ranks in each resample.
    winner_frequency : ndarray (n_methods,)
        Fraction of resamples each method wins (a tie for first place splits the win).
    winner_change_rate : float
        ``1 - winner_frequency[winner]``: how often the winner changes.
    rank_frequency : ndarray (n_methods, n_methods)
        ``[m, r]`` = fraction of resamples where method ``m`` has rank ``r + 1``
        (rounded down for tied ranks).
    kendall_tau : ndarray (n_bootstrap,)
        Kendall's tau-b between each resample's ranking and the full one (1 = same order).
    """

    methods: tuple[str, ...]
    full_ranks: NDArray[np.float64]
    winner: str
    ranks: NDArray[np.float64]
    winner_frequency: NDArray[np.float64]
    winner_change_rate: float
    rank_frequency: NDArray[np.float64]
    kendall_tau: NDArray[np.float64]


def _kendall_tau_b(ranks: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Kendall's tau-b of each row of ``ranks`` (B, M) against ``reference`` (M,)."""
    i, j = np.triu_indices(ranks.shape[1], k=1)
    a = np.sign(ranks[:, i] - ranks[:, j])
    b = np.sign(reference[i] - reference[j])
    concordance = (a * b).sum(axis=1)
    n_a, n_b = np.count_nonzero(a, axis=1), np.count_nonzero(b)
    with np.errstate(invalid="ignore", divide="ignore"):
        return concordance / np.sqrt(n_a * n_b)


def bootstrap_ranking(
    scores: Any,
    n_bootstrap: int = 1000,
    seed: int = 0,
    higher_is_better: bool = True,
    scheme: Scheme = "aggregate-then-rank",
) -> BootstrapRanking:
    """How stable is a ranking? Re-rank on cases drawn with replacement.

    Each resample draws ``n_cases`` case indices uniformly with replacement
    (``numpy.random.default_rng(seed)``), the same cases for every method (the scores
    are paired by case), and ranks the methods with ``scheme``.

    Parameters
    ----------
    scores : mapping or array_like (n_methods, n_cases)
        See :func:`score_matrix`.
    n_bootstrap : int
        Number of resamples (>= 1).
    seed : int
        Seed: the same seed gives identical results.
    higher_is_better, scheme
        As in :func:`rank_methods`.

    Returns
    -------
    BootstrapRanking
    """
    _check_scheme(scheme)
    if (
        isinstance(n_bootstrap, bool)
        or not isinstance(n_bootstrap, (int, np.integer))
        or n_bootstrap < 1
    ):
        raise ValueError(f"n_bootstrap must be a positive integer, got {n_bootstrap!r}")
    matrix, names = score_matrix(scores)
    n_methods, n_cases = matrix.shape
    full = _ranks(matrix, higher_is_better, scheme)
    winner_index = int(np.argmin(full))
    index = np.random.default_rng(seed).integers(0, n_cases, size=(int(n_bootstrap), n_cases))
    signed = -matrix if higher_is_better else matrix
    per_case = signed if scheme == "aggregate-then-rank" else rankdata(signed, axis=0)
    aggregated = per_case[:, index].mean(axis=2)  # (M, B)
    ranks = rankdata(aggregated, axis=0).T  # (B, M)
    best = ranks == ranks.min(axis=1, keepdims=True)
    winner_frequency = (best / best.sum(axis=1, keepdims=True)).mean(axis=0)
    floor = np.clip(np.floor(ranks).astype(int) - 1, 0, n_methods - 1)
    rank_frequency = np.stack(
        [np.bincount(floor[:, m], minlength=n_methods) for m in range(n_methods)]
    ) / float(n_bootstrap)
    return BootstrapRanking(
        methods=tuple(names),
        full_ranks=full,
        winner=names[winner_index],
        ranks=ranks,
        winner_frequency=winner_frequency,
        winner_change_rate=float(1.0 - winner_frequency[winner_index]),
        rank_frequency=rank_frequency,
        kendall_tau=_kendall_tau_b(ranks, full),
    )


def threshold_lesions(
    image: Any, brain_mask: Any, z: float = 3.0, min_voxels: int = 1, dilation: int = 0
) -> NDArray[np.bool_]:
    """Hyperintense-lesion baseline: z-score inside the brain, threshold, clean up.

    ``mask = (image - mean) / std > z`` with the mean and standard deviation of the
    in-brain intensities, restricted to the brain; connected components (26-connected
    in 3-D) smaller than ``min_voxels`` are removed, then the mask is dilated
    ``dilation`` times (6-connected structuring element) and cut to the brain again.

    Parameters
    ----------
    image : array_like (X, Y[, Z])
        A contrast where lesions are bright (FLAIR), any units.
    brain_mask : array_like of bool, same shape
        Voxels to consider.
    z : float
        Threshold in in-brain standard deviations.
    min_voxels : int
        Smallest lesion kept, in voxels (>= 1).
    dilation : int
        Binary dilations applied at the end (>= 0); > 0 over-segments on purpose.

    Returns
    -------
    ndarray of bool, same shape
    """
    arr = np.asarray(image, dtype=np.float64)
    brain = np.asarray(brain_mask, dtype=bool)
    if brain.shape != arr.shape:
        raise ValueError(f"brain_mask has shape {brain.shape}, image has {arr.shape}")
    if not brain.any():
        raise ValueError("brain_mask selects no voxel; pass the subject's brain mask")
    for name, value, low in (("min_voxels", min_voxels, 1), ("dilation", dilation, 0)):
        if isinstance(value, bool) or int(value) != value or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    values = arr[brain]
    sd = values.std()
    if not sd > 0:
        raise ValueError("image is constant inside brain_mask; cannot threshold a z-score")
    mask = ((arr - values.mean()) / sd > z) & brain
    if min_voxels > 1 and mask.any():
        structure = ndimage.generate_binary_structure(arr.ndim, arr.ndim)
        labels, n = ndimage.label(mask, structure=structure)
        sizes = np.bincount(labels.ravel(), minlength=n + 1)
        keep = sizes >= min_voxels
        keep[0] = False
        mask = keep[labels]
    if dilation:
        mask = ndimage.binary_dilation(mask, iterations=int(dilation)) & brain
    return mask
