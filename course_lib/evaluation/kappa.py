r"""Chance-corrected agreement between observers: Cohen's and Fleiss' kappa (chapter 12).

When observers sort the same items into categories (a nodule's type, a lesion seen or not),
their raw agreement overstates how much they agree: two observers who both say "no lesion"
90 % of the time agree on at least 82 % of the items by chance alone. Kappa rescales the
observed agreement :math:`p_o` against the agreement :math:`p_e` expected by chance:

.. math::
    \kappa = \frac{p_o - p_e}{1 - p_e},

1 for perfect agreement, 0 for agreement at chance level, negative below it.

* **Cohen's kappa** [1]_ compares two observers; :math:`p_e = \sum_c p_{1c} p_{2c}` uses each
  observer's own category frequencies.
* **Fleiss' kappa** [2]_ compares :math:`m \ge 2` observers who each rate every item;
  :math:`p_o` is the mean, over items, of the fraction of agreeing observer pairs, and
  :math:`p_e = \sum_c \bar p_c^2` uses the category frequencies pooled over observers. With
  two observers it equals Scott's pi, not Cohen's kappa.

The lecture's pulmonary-nodule study (Ciompi et al., *Sci Rep* 2017) compared the computer
with four observers this way: "observer vs computer" agreement beside "observer vs observer".

References
----------
.. [1] J. Cohen, "A coefficient of agreement for nominal scales", Educational and
   Psychological Measurement 20(1):37-46, 1960. doi:10.1177/001316446002000104
.. [2] J. L. Fleiss, "Measuring nominal scale agreement among many raters", Psychological
   Bulletin 76(5):378-382, 1971. doi:10.1037/h0031619
.. [3] F. Ciompi et al., "Towards automatic pulmonary nodule management in lung cancer
   screening with deep learning", Scientific Reports 7:46479, 2017. doi:10.1038/srep46479
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["cohen_kappa", "fleiss_kappa", "pairwise_cohen_kappa"]


def _labels(values: Any, name: str) -> NDArray:
    array = np.asarray(values)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D sequence of category labels, got shape {array.shape}"
        )
    return array


def cohen_kappa(a: Any, b: Any) -> float:
    """Cohen's kappa between two observers' labels of the same items.

    Parameters
    ----------
    a, b : sequence of hashable labels, length n
        Category given by each observer to items ``0..n-1`` (e.g. 0/1 "lesion marked").

    Returns
    -------
    float
        :math:`(p_o - p_e) / (1 - p_e)`; ``nan`` when :math:`p_e = 1` (both observers always
        give the same single category: agreement cannot be told from chance).
    """
    a, b = _labels(a, "a"), _labels(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must label the same items, got {a.size} and {b.size} labels")
    categories = np.union1d(a, b)
    p_observed = float(np.mean(a == b))
    p_chance = float(sum(np.mean(a == c) * np.mean(b == c) for c in categories))
    if np.isclose(p_chance, 1.0):
        return float("nan")
    return (p_observed - p_chance) / (1.0 - p_chance)


def pairwise_cohen_kappa(ratings: Any) -> NDArray[np.float64]:
    """Cohen's kappa for every pair of observers, as a symmetric matrix.

    Parameters
    ----------
    ratings : array_like, shape (n_items, n_observers)
        Column ``j`` holds observer ``j``'s labels.

    Returns
    -------
    ndarray, shape (n_observers, n_observers)
        ``[i, j]`` = Cohen's kappa of observers i and j; the diagonal is 1.
    """
    table = np.asarray(ratings)
    if table.ndim != 2 or table.shape[1] < 2:
        raise ValueError(f"ratings must be (n_items, n_observers >= 2), got shape {table.shape}")
    m = table.shape[1]
    kappas = np.eye(m)
    for i in range(m):
        for j in range(i + 1, m):
            kappas[i, j] = kappas[j, i] = cohen_kappa(table[:, i], table[:, j])
    return kappas


def fleiss_kappa(ratings: Any) -> float:
    """Fleiss' kappa of several observers who each label every item.

    Parameters
    ----------
    ratings : array_like, shape (n_items, n_observers)
        Column ``j`` holds observer ``j``'s labels (any hashable categories).

    Returns
    -------
    float
        :math:`(\\bar P - \\bar P_e) / (1 - \\bar P_e)` (module docstring); ``nan`` when every
        label is the same category.
    """
    table = np.asarray(ratings)
    if table.ndim != 2 or table.shape[0] < 1 or table.shape[1] < 2:
        raise ValueError(
            f"ratings must be (n_items >= 1, n_observers >= 2), got shape {table.shape}"
        )
    n_observers = table.shape[1]
    categories = np.unique(table)
    counts = np.stack([(table == c).sum(axis=1) for c in categories], axis=1)  # (items, cats)
    agreeing_pairs = (counts * (counts - 1)).sum(axis=1) / (n_observers * (n_observers - 1))
    p_observed = float(agreeing_pairs.mean())
    shares = counts.sum(axis=0) / counts.sum()
    p_chance = float(np.sum(shares**2))
    if np.isclose(p_chance, 1.0):
        return float("nan")
    return (p_observed - p_chance) / (1.0 - p_chance)
