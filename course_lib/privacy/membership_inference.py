"""Loss-threshold membership inference: was this image in the training set?

An over-fitted model has a lower loss on the examples it was trained on than on
new ones. Yeom et al. (2018) turn this into an attack: guess "member" when the
loss is below a threshold. Its *membership advantage* is the true-positive rate
minus the false-positive rate, ``Adv = TPR - FPR``: 0 for a model that leaks
nothing, 1 for a model whose losses separate members perfectly. (epsilon, 0)-DP
bounds it by ``e^epsilon - 1`` (Yeom et al., Theorem 1). Shokri et al. (2017)
introduced membership inference with shadow models; the threshold attack is its
simplest, strongest-per-line form.

References
----------
Shokri, R., Stronati, M., Song, C. & Shmatikov, V. (2017). Membership inference
attacks against machine learning models. IEEE S&P. doi:10.1109/SP.2017.41
Yeom, S., Giacomelli, I., Fredrikson, M. & Jha, S. (2018). Privacy risk in machine
learning: analyzing the connection to overfitting. IEEE CSF. doi:10.1109/CSF.2018.00027
"""
from __future__ import annotations

from typing import Callable, Iterable

import numpy as np
import torch
from torch import nn

__all__ = ["membership_advantage", "per_sample_losses"]


def _as_array(values) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    elif not hasattr(values, "__len__"):
        values = list(values)
    return np.asarray(values, dtype=float).ravel()


def membership_advantage(losses_members: np.ndarray | Iterable[float],
                         losses_nonmembers: np.ndarray | Iterable[float]
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
        raise ValueError("need at least one member and one non-member loss, got "
                         f"{members.size} and {others.size}")
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


@torch.no_grad()
def per_sample_losses(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
                      loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], *,
                      batch_size: int = 256) -> np.ndarray:
    """Loss of each example, for :func:`membership_advantage`.

    Parameters
    ----------
    model : nn.Module
        Model (evaluated as given: call ``model.eval()`` first if needed).
    inputs, targets : torch.Tensor
        Examples ``(N, ...)`` and their targets ``(N, ...)``, on the model's device.
    loss_fn : callable
        Loss with ``reduction="none"`` semantics or any function returning one value
        per example, e.g. ``nn.CrossEntropyLoss(reduction="none")``; values are
        averaged over non-batch dimensions.
    batch_size : int
        Examples per forward pass.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` float64 losses.
    """
    out = []
    for start in range(0, inputs.shape[0], batch_size):
        values = loss_fn(model(inputs[start:start + batch_size]),
                         targets[start:start + batch_size])
        if values.dim() == 0:
            raise ValueError("loss_fn returned a scalar: use reduction='none' so that each "
                             "example gets its own loss")
        out.append(values.reshape(values.shape[0], -1).mean(dim=1).double().cpu())
    return torch.cat(out).numpy() if out else np.zeros(0)
