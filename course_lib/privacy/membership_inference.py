"""Loss-threshold membership inference: was this patient in the training set? (chapter 11b)

An over-fitted model has a lower loss on the examples it was trained on than on
new ones. Yeom et al. (2018) turn this into an attack: guess "member" when the
loss is below a threshold. Its *membership advantage* is the true-positive rate
minus the false-positive rate, ``Adv = TPR - FPR``: 0 for a model that leaks
nothing, 1 for a model whose losses separate members perfectly. Shokri et al. (2017)
introduced membership inference with shadow models; the threshold attack is its
simplest form.

Averages (advantage, AUC) hide the attack that matters: naming *a few* members with
near certainty. Carlini et al. (2022) therefore report the **TPR at a low FPR**
(:func:`tpr_at_fpr`, e.g. 0.1 % and 1 %); measuring it needs at least ``1 / FPR``
non-members.

What differential privacy promises (:func:`dp_tpr_bound`, :func:`dp_advantage_bound`):
any test of "member or not" against an (epsilon, delta)-DP training run has
``TPR <= e^epsilon FPR + delta`` and ``TPR <= 1 - e^-epsilon (1 - delta - FPR)``
(the hypothesis-testing view of DP, Kairouz et al. 2015, Theorem 2.1), hence
``Adv <= (e^epsilon - 1 + 2 delta) / (e^epsilon + 1)``. Yeom et al.'s bound for pure
epsilon-DP, ``Adv <= e^epsilon - 1``, is weaker: it reaches 1 (says nothing) at
``epsilon = ln 2``.

References
----------
Shokri, R., Stronati, M., Song, C. & Shmatikov, V. (2017). Membership inference
attacks against machine learning models. IEEE S&P. doi:10.1109/SP.2017.41
Yeom, S., Giacomelli, I., Fredrikson, M. & Jha, S. (2018). Privacy risk in machine
learning: analyzing the connection to overfitting. IEEE CSF. doi:10.1109/CSF.2018.00027
Kairouz, P., Oh, S. & Viswanath, P. (2015). The composition theorem for differential
privacy. ICML, PMLR 37:1376-1385. arXiv:1311.0776
Carlini, N., Chien, S., Nasr, M., Song, S., Terzis, A. & Tramer, F. (2022). Membership
inference attacks from first principles. IEEE S&P. doi:10.1109/SP46214.2022.9833649
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import torch

__all__ = ["dp_advantage_bound", "dp_tpr_bound", "membership_advantage", "tpr_at_fpr"]


def _as_array(values) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    elif not hasattr(values, "__len__"):
        values = list(values)
    return np.asarray(values, dtype=float).ravel()


def membership_advantage(
    losses_members: np.ndarray | Iterable[float], losses_nonmembers: np.ndarray | Iterable[float]
) -> tuple[float, float, float]:
    """Best loss-threshold attack: advantage, threshold and ROC AUC.

    The attack predicts "member" when ``loss <= threshold``. Every distinct observed
    loss is tried as a threshold (plus one below all, which predicts nobody).

    Parameters
    ----------
    losses_members : array-like
        Per-example losses of training-set examples, shape ``(n_members,)``.
    losses_nonmembers : array-like
        Per-example losses of held-out examples, shape ``(n_nonmembers,)``.

    Returns
    -------
    advantage : float
        ``max_threshold TPR - FPR``, in [0, 1].
    best_threshold : float
        Threshold attaining it (in loss units).
    auc : float
        Area under the ROC curve of the score ``-loss``: probability that a random
        member has a lower loss than a random non-member (ties count one half);
        0.5 means no leakage.
    """
    members, others = _as_array(losses_members), _as_array(losses_nonmembers)
    if members.size == 0 or others.size == 0:
        raise ValueError(
            "need at least one member and one non-member loss, got "
            f"{members.size} and {others.size}"
        )
    if not (np.all(np.isfinite(members)) and np.all(np.isfinite(others))):
        raise ValueError("losses must be finite; drop NaN/inf losses (diverged model?)")
    thresholds = np.unique(np.concatenate([members, others]))
    tpr = np.searchsorted(np.sort(members), thresholds, side="right") / members.size
    fpr = np.searchsorted(np.sort(others), thresholds, side="right") / others.size
    gaps = tpr - fpr
    best = int(np.argmax(gaps))
    advantage = max(float(gaps[best]), 0.0)
    best_threshold = float(thresholds[best]) if gaps[best] > 0 else float(thresholds[0]) - 1.0
    # Mann-Whitney U: P(member loss < non-member loss) + 0.5 P(equal)
    sorted_others = np.sort(others)
    below = np.searchsorted(sorted_others, members, side="right")
    strictly_below = np.searchsorted(sorted_others, members, side="left")
    greater = others.size - below
    ties = below - strictly_below
    auc = float((greater.sum() + 0.5 * ties.sum()) / (members.size * others.size))
    return advantage, best_threshold, auc


def tpr_at_fpr(
    losses_members: np.ndarray | Iterable[float],
    losses_nonmembers: np.ndarray | Iterable[float],
    max_fpr: float,
) -> tuple[float, float]:
    """True-positive rate of the loss-threshold attack at a false-positive rate <= ``max_fpr``.

    The attack says "member" when ``loss < t``; ``t`` is the largest threshold that
    flags at most ``floor(max_fpr * n_nonmembers)`` non-members.

    Parameters
    ----------
    losses_members, losses_nonmembers : array-like
        Per-example (or per-patient) losses of members and non-members.
    max_fpr : float
        Largest false-positive rate allowed, in [0, 1]. With ``n`` non-members the
        rates that can be measured are ``0, 1/n, 2/n, ...``: below ``1/n`` the attack
        may flag nobody wrongly (FPR 0).

    Returns
    -------
    tpr : float
        Fraction of members flagged.
    fpr : float
        Fraction of non-members flagged (<= ``max_fpr``).
    """
    members, others = _as_array(losses_members), _as_array(losses_nonmembers)
    if members.size == 0 or others.size == 0:
        raise ValueError(
            "need at least one member and one non-member loss, got "
            f"{members.size} and {others.size}"
        )
    if not 0.0 <= max_fpr <= 1.0:
        raise ValueError(f"max_fpr must lie in [0, 1], got {max_fpr}")
    allowed = int(np.floor(max_fpr * others.size + 1e-9))
    ordered = np.sort(others)
    threshold = ordered[allowed] if allowed < others.size else np.inf
    return float((members < threshold).mean()), float((others < threshold).mean())


def _check_eps_delta(epsilon: float, delta: float) -> None:
    if not epsilon >= 0:
        raise ValueError(f"epsilon must be >= 0 (inf allowed), got {epsilon}")
    if not 0.0 <= delta < 1.0:
        raise ValueError(f"delta must lie in [0, 1), got {delta}")


def dp_tpr_bound(epsilon: float, delta: float, fpr: float) -> float:
    """Largest TPR any membership test can reach at ``fpr`` against (epsilon, delta)-DP.

    ``min(1, e^eps FPR + delta, 1 - e^-eps (1 - delta - FPR))`` (Kairouz et al. 2015,
    Theorem 2.1). Example: epsilon = 1, delta = 1e-5 allows at most 2.7 % TPR at 1 % FPR.
    """
    _check_eps_delta(epsilon, delta)
    if not 0.0 <= fpr <= 1.0:
        raise ValueError(f"fpr must lie in [0, 1], got {fpr}")
    if np.isinf(epsilon):
        return 1.0
    return float(
        min(1.0, np.exp(epsilon) * fpr + delta, 1.0 - np.exp(-epsilon) * (1.0 - delta - fpr))
    )


def dp_advantage_bound(epsilon: float, delta: float) -> float:
    """Largest membership advantage TPR - FPR against (epsilon, delta)-DP.

    ``(e^eps - 1 + 2 delta) / (e^eps + 1)``: the maximum over FPR of
    :func:`dp_tpr_bound` minus FPR. It is below 1 for every finite epsilon but
    exceeds 0.9 from epsilon = 3 on (Yeom et al.'s ``e^eps - 1`` reaches 1 at ln 2).
    """
    _check_eps_delta(epsilon, delta)
    if np.isinf(epsilon):
        return 1.0
    return float(min(1.0, (np.expm1(epsilon) + 2.0 * delta) / (np.exp(epsilon) + 1.0)))
