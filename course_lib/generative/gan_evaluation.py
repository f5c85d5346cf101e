"""Evaluating a generative model without fooling yourself (chapter 07a).

Looking at a grid of samples says little: a GAN that copies its training images looks
perfect, and one that gets the tissue contrast wrong may still look plausible. This module
gives three checks that can fail, plus the latent interpolation behind the chapter's widget:

* :func:`nearest_neighbour_distances` -- how close each sample is to its nearest training
  image, compared with how close *held-out* real images are (memorisation, a privacy risk);
* :func:`tissue_thresholds`, :func:`intensity_statistics` -- brain area, intensity and
  tissue fractions of samples vs real images;
* :func:`two_sample_classifier_test` -- can a classifier tell real from generated?
  (the classifier two-sample test of Lopez-Paz & Oquab 2017), with folds and a permutation
  p-value that respect groups (the slices of one subject are not independent images);
* :func:`interpolate_latents` -- linear or spherical paths between two latent vectors.

Images are arrays or tensors ``(N, C, H, W)`` (or ``(N, H, W)``) scaled to ``[-1, 1]`` like
the DCGAN's ``tanh`` output; background is ``-1``.

References
----------
Lopez-Paz D, Oquab M. Revisiting classifier two-sample tests. ICLR 2017. arXiv:1610.06545

White T. Sampling generative networks. arXiv:1609.04468 (2016).

Goodfellow I, Pouget-Abadie J, Mirza M, et al. Generative adversarial nets. NeurIPS 2014.
arXiv:1406.2661
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

__all__ = [
    "nearest_neighbour_distances",
    "tissue_thresholds",
    "intensity_statistics",
    "TwoSampleTestResult",
    "two_sample_classifier_test",
    "interpolate_latents",
]


def _flat(images: Any, name: str) -> np.ndarray:
    """``(N, D)`` float64 rows from ``(N, ...)`` images (NumPy or torch)."""
    if hasattr(images, "detach"):
        images = images.detach().cpu().numpy()
    x = np.asarray(images, dtype=np.float64)
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"{name} must have shape (N, ...) with N >= 1, got {x.shape}.")
    return x.reshape(x.shape[0], -1)


def nearest_neighbour_distances(
    queries: Any, references: Any, chunk: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """Root-mean-square distance from each query image to its nearest reference image.

    Parameters
    ----------
    queries : array_like, shape (N, ...)
        E.g. generated samples, or held-out real images.
    references : array_like, shape (M, ...)
        E.g. the GAN's training images; same per-image shape as ``queries``.
    chunk : int
        Queries processed at once (bounds memory to ``chunk * M`` floats).

    Returns
    -------
    distances : np.ndarray, shape (N,)
        ``min_j sqrt(mean((q_i - r_j)**2))``, in image intensity units (0 = an exact copy).
    indices : np.ndarray, shape (N,)
        Index ``j`` of the nearest reference.

    Notes
    -----
    A sample much closer to a training image than held-out real images are is a
    memorised copy: it can leak the training patient's anatomy.
    """
    q, r = _flat(queries, "queries"), _flat(references, "references")
    if q.shape[1] != r.shape[1]:
        raise ValueError(
            f"queries and references must have the same image size; got "
            f"{q.shape[1]} and {r.shape[1]} values per image."
        )
    r_sq = (r**2).sum(1)
    distances, indices = np.empty(len(q)), np.empty(len(q), dtype=np.int64)
    for start in range(0, len(q), max(int(chunk), 1)):
        block = q[start : start + chunk]
        sq = (block**2).sum(1)[:, None] - 2 * block @ r.T + r_sq[None, :]
        j = sq.argmin(1)
        indices[start : start + len(block)] = j
        distances[start : start + len(block)] = np.sqrt(
            np.maximum(sq[np.arange(len(block)), j], 0.0) / q.shape[1]
        )
    return distances, indices


def tissue_thresholds(real: Any, background: float = -0.9, classes: int = 3) -> np.ndarray:
    """Multi-Otsu thresholds of real brain intensities (pixels above ``background``).

    With ``classes=3`` on a T1w image the classes are CSF < GM < WM (Liao et al. 2001,
    "A fast algorithm for multilevel thresholding", J Inf Sci Eng 17:713-727).

    Returns
    -------
    np.ndarray, shape (classes - 1,)
        Increasing thresholds, in image intensity units.
    """
    from skimage.filters import threshold_multiotsu

    x = _flat(real, "real").ravel()
    brain = x[x > background]
    if brain.size < classes:
        raise ValueError(
            f"fewer than {classes} pixels above background={background}: "
            "are the images scaled to [-1, 1]?"
        )
    return np.asarray(threshold_multiotsu(brain, classes=classes), dtype=np.float64)


def intensity_statistics(
    images: Any, thresholds: Any, background: float = -0.9
) -> dict[str, np.ndarray]:
    """Per-image brain area, intensity and tissue fractions.

    Parameters
    ----------
    images : array_like, shape (N, ...)
        Images in ``[-1, 1]``.
    thresholds : array_like, shape (K - 1,)
        Tissue thresholds, e.g. from :func:`tissue_thresholds` on *real* images (the
        same thresholds must be used for real and generated images).
    background : float
        Pixels above it count as brain.

    Returns
    -------
    dict of str to np.ndarray, each shape (N,)
        ``brain_fraction`` (brain pixels / all pixels), ``mean`` and ``std`` of brain
        intensities, and ``fraction_k`` (k = 0..K-1) of brain pixels in tissue class k.
    """
    x = _flat(images, "images")
    t = np.sort(np.asarray(thresholds, dtype=np.float64).ravel())
    brain = x > background
    n = brain.sum(1)
    safe = np.maximum(n, 1)
    mean = np.where(brain, x, 0).sum(1) / safe
    var = np.where(brain, (x - mean[:, None]) ** 2, 0).sum(1) / safe
    out = {"brain_fraction": n / x.shape[1], "mean": mean, "std": np.sqrt(var)}
    classes = np.digitize(x, t)
    for k in range(len(t) + 1):
        out[f"fraction_{k}"] = ((classes == k) & brain).sum(1) / safe
    return out


@dataclass(frozen=True)
class TwoSampleTestResult:
    """Result of :func:`two_sample_classifier_test`.

    Attributes
    ----------
    accuracy : float
        Cross-validated accuracy of real-vs-generated classification (0.5 = chance).
    p_value : float
        One-sided binomial p-value of that many correct answers under "the two samples
        come from one distribution" (accuracy 0.5). It treats the ``n`` answers as
        independent, which slices of one subject are not: prefer ``permutation_p_value``.
    n : int
        Number of images classified (real + generated).
    fold_accuracies : tuple of float
        Accuracy on each held-out fold.
    permutation_p_value : float or None
        Fraction of label permutations (whole groups swap labels) whose accuracy reaches the
        observed one, ``(1 + hits) / (1 + n_permutations)``; None without permutations.
    n_groups : int
        Number of independent units (subjects, or single images when no groups are given).
    """

    accuracy: float
    p_value: float
    n: int
    fold_accuracies: tuple[float, ...]
    permutation_p_value: float | None = None
    n_groups: int = 0


def _group_ids(groups: Any, n: int, name: str) -> np.ndarray:
    if groups is None:
        return np.arange(n)
    ids = np.asarray(groups).ravel()
    if len(ids) != n:
        raise ValueError(f"{name} must give one group per image: {len(ids)} groups for {n} images.")
    return ids


def _cross_validated_hits(x, y, groups, classifier, n_splits, seed) -> tuple[int, list[float]]:
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedGroupKFold

    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    correct, folds = 0, []
    for train, test in splitter.split(x, y, groups):
        model = clone(classifier).fit(x[train], y[train])
        hits = int((model.predict(x[test]) == y[test]).sum())
        correct += hits
        folds.append(hits / len(test))
    return correct, folds


def two_sample_classifier_test(
    real: Any,
    fake: Any,
    classifier: Any = None,
    n_splits: int = 5,
    seed: int = 0,
    groups_real: Any = None,
    groups_fake: Any = None,
    n_permutations: int = 0,
) -> TwoSampleTestResult:
    """Classifier two-sample test: train to tell ``real`` from ``fake``, score held-out folds.

    Parameters
    ----------
    real, fake : array_like, shape (N, ...) and (M, ...)
        Images (or any features); flattened to rows.
    classifier : scikit-learn estimator, optional
        Default: standardised pixels into an L2-regularised logistic regression
        (``C=0.1``). Any estimator with ``fit``/``predict`` works; it is cloned per fold.
    n_splits : int
        Folds, stratified by label; every image is classified once, by a model that did not
        see it -- nor, with groups, any image of its group.
    seed : int
        Seed of the fold assignment and of the permutations.
    groups_real, groups_fake : array_like, shape (N,) and (M,), optional
        Group of each image, e.g. the subject a real slice comes from. Images of one group
        are never split between training and test folds: otherwise the classifier can
        recognise the *subject* of a test slice from its neighbouring slices, and the
        accuracy measures that, not a difference between the two samples. Group labels of
        ``real`` and ``fake`` are kept apart (the same id in both means two groups).
    n_permutations : int
        If > 0, also a permutation p-value: labels are reassigned at random to whole groups
        (keeping the number of real groups) and the test is rerun ``n_permutations`` times.

    Returns
    -------
    TwoSampleTestResult
        Accuracy near 0.5 means the classifier cannot tell the samples apart; 1.0 means
        it separates them perfectly (the generator is easy to spot).

    References
    ----------
    Lopez-Paz D, Oquab M. Revisiting classifier two-sample tests. ICLR 2017.
    arXiv:1610.06545
    """
    from scipy.stats import binomtest
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    a, b = _flat(real, "real"), _flat(fake, "fake")
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"real and fake must have the same image size; got {a.shape[1]} "
            f"and {b.shape[1]} values per image."
        )
    ga = _group_ids(groups_real, len(a), "groups_real")
    gb = _group_ids(groups_fake, len(b), "groups_fake")
    groups = np.concatenate(
        [
            np.unique(ga, return_inverse=True)[1],
            len(np.unique(ga)) + np.unique(gb, return_inverse=True)[1],
        ]
    )
    n_real_groups, n_groups = len(np.unique(ga)), len(np.unique(groups))
    if min(n_real_groups, n_groups - n_real_groups) < n_splits:
        raise ValueError(
            f"need at least n_splits={n_splits} groups (or images) of each kind; "
            f"got {n_real_groups} real and {n_groups - n_real_groups} fake: lower "
            "n_splits."
        )
    if classifier is None:
        classifier = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    x = np.concatenate([a, b])
    y = np.concatenate([np.ones(len(a), int), np.zeros(len(b), int)])
    correct, folds = _cross_validated_hits(x, y, groups, classifier, n_splits, seed)
    p = binomtest(correct, len(y), 0.5, alternative="greater").pvalue
    permutation_p = None
    if n_permutations > 0:
        rng = np.random.default_rng(seed)
        hits = 0
        for _ in range(int(n_permutations)):
            real_groups = rng.permutation(n_groups)[:n_real_groups]
            y_perm = np.isin(groups, real_groups).astype(int)
            c, _ = _cross_validated_hits(x, y_perm, groups, classifier, n_splits, seed)
            hits += c / len(y) >= correct / len(y)
        permutation_p = (1 + hits) / (1 + int(n_permutations))
    return TwoSampleTestResult(
        correct / len(y), float(p), len(y), tuple(folds), permutation_p, n_groups
    )


def interpolate_latents(
    z0: Any, z1: Any, steps: int, method: Literal["slerp", "linear"] = "slerp"
) -> np.ndarray:
    """Latent vectors on a path from ``z0`` to ``z1`` (both ends included).

    Parameters
    ----------
    z0, z1 : array_like, shape (D,)
        End points (e.g. two draws of the DCGAN's ``N(0, I)`` noise).
    steps : int
        Number of points (>= 2).
    method : {"slerp", "linear"}
        ``"linear"``: ``(1 - t) z0 + t z1``. ``"slerp"``: spherical interpolation
        (White 2016), whose points keep a norm typical of ``N(0, I)`` draws, while the
        linear midpoint of two independent draws is ~0.71 times shorter -- a region the
        generator rarely saw in training.

    Returns
    -------
    np.ndarray, shape (steps, D)
        ``float32`` latent vectors, ``t = 0, 1/(steps-1), ..., 1``.
    """
    a = np.asarray(z0.detach().cpu() if hasattr(z0, "detach") else z0, np.float64).ravel()
    b = np.asarray(z1.detach().cpu() if hasattr(z1, "detach") else z1, np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"z0 and z1 must have the same length, got {a.size} and {b.size}.")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ValueError(f"steps must be an integer >= 2, got {steps!r}.")
    if method not in ("slerp", "linear"):
        raise ValueError(f"method must be 'slerp' or 'linear', got {method!r}.")
    t = np.linspace(0.0, 1.0, int(steps))[:, None]
    if method == "linear":
        return ((1 - t) * a + t * b).astype(np.float32)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        raise ValueError("slerp needs non-zero end points; use method='linear'.")
    omega = np.arccos(np.clip(a @ b / (na * nb), -1.0, 1.0))
    if omega < 1e-6:  # (anti)parallel within rounding: the arc is a line
        return ((1 - t) * a + t * b).astype(np.float32)
    path = (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
    return path.astype(np.float32)
