"""Centralised, single-center and federated training compared on equal terms (chapter 11b).

A comparison of training settings is fair only if every setting gets the same chance.
The rule used here is fixed before any test subject is scored:

* every setting trains the same architecture from the same initial weights (one per
  seed), with the same optimiser (SGD with momentum), loss, batch size and the same
  number of passes over each of its training voxels (``checks x epochs_per_check``);
* after every *check* -- a FedAvg round of ``local_epochs`` local epochs, or the same
  number of epochs of ordinary training -- the model is scored on the **validation**
  subjects that its trainers hold, and the best checkpoint is kept (optionally the earliest
  within a tolerance of the best, :func:`choose_check`). A hospital training
  alone holds only its own validation subjects; the pooled model and the federation
  hold every center's (the federation through *federated evaluation*: each site reports
  the Dice of the global model on its own validation subjects, never the images);
* every kept model is then scored once on the **same** test subjects
  (:func:`dice_table`).

Functions: :func:`train_pooled` (centralised, or one center alone),
:func:`train_fedavg` (FedAvg/FedProx through :func:`course_lib.federated.run_fedavg`),
:func:`validation_dice`, :func:`dice_table`.

References
----------
Loshchilov, I. & Hutter, F. (2017). SGDR: stochastic gradient descent with warm restarts.
ICLR. arXiv:1608.03983
McMahan, H. B. et al. (2017). Communication-efficient learning of deep networks from
decentralized data. AISTATS. arXiv:1602.05629
Sheller, M. J. et al. (2020). Federated learning in medicine: facilitating
multi-institutional collaborations without sharing patient data. Sci Rep 10, 12598.
doi:10.1038/s41598-020-69250-1
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from course_lib.federated.experiment import (
    CenterVoxels,
    VoxelBatches,
    dice_by_subject,
    make_clients,
)
from course_lib.federated.fedavg import run_fedavg

__all__ = [
    "TrainedModel",
    "check_learning_rate",
    "choose_check",
    "dice_table",
    "train_fedavg",
    "train_pooled",
    "validation_dice",
]


@dataclass(frozen=True)
class TrainedModel:
    """A model trained by one setting, at the checkpoint chosen on validation subjects.

    Attributes
    ----------
    model : nn.Module
        The model with the chosen checkpoint's weights (in eval mode).
    validation_curve : tuple of float
        Mean validation Dice after each check (round), in order.
    chosen_check : int
        1-based number of the kept check (the earliest within the tolerance of the best,
        :func:`choose_check`).
    last_state : dict of str to torch.Tensor
        The weights after the last check, to show what the selection rule changes.
    """

    model: nn.Module
    validation_curve: tuple[float, ...]
    chosen_check: int
    last_state: dict[str, torch.Tensor]


def validation_dice(model: nn.Module, val_sets: Mapping[str, CenterVoxels]) -> float:
    """Mean per-subject lesion Dice over every validation subject of ``val_sets``."""
    if not val_sets:
        raise ValueError("val_sets is empty: a setting must hold at least one validation subject")
    return float(
        np.mean(np.concatenate([dice_by_subject(model, data) for data in val_sets.values()]))
    )


def dice_table(model: nn.Module, test_sets: Mapping[str, CenterVoxels]) -> np.ndarray:
    """Per-subject lesion Dice on every test subject, centers in the order of ``test_sets``.

    Returns
    -------
    numpy.ndarray
        ``(sum of test subjects,)`` float64; center ``k``'s subjects follow center
        ``k - 1``'s, each center's in increasing subject number.
    """
    return np.concatenate([dice_by_subject(model, data) for data in test_sets.values()])


def check_learning_rate(lr: float, check: int, checks: int, schedule: str = "constant") -> float:
    """Learning rate used during check ``check`` (1-based) of ``checks``.

    ``"constant"``: ``lr`` throughout. ``"cosine"``: ``lr * (1 + cos(pi (check - 1) / checks)) / 2``
    (Loshchilov & Hutter 2017, without restarts), from ``lr`` at the first check to a small
    fraction at the last, so that the last checkpoints differ little and the choice among them
    does not hinge on the oscillations of a constant step size.
    """
    if schedule == "constant":
        return float(lr)
    if schedule == "cosine":
        return float(lr) * 0.5 * (1.0 + math.cos(math.pi * (check - 1) / checks))
    raise ValueError(f"schedule must be 'constant' or 'cosine', got {schedule!r}")


def choose_check(curve: Sequence[float], tolerance: float = 0.0) -> int:
    """1-based number of the earliest check whose score is within ``tolerance`` of the best.

    With ``tolerance = 0`` this is the first best check. A small positive tolerance (the
    resolution of the validation set) prefers the earlier, shorter-trained checkpoint when
    later ones are not measurably better -- in the spirit of Breiman's one-standard-error
    rule -- and keeps the choice from flipping between near-tied checkpoints when the last
    digits of training change (another CPU, another thread count).
    """
    scores = np.asarray(curve, dtype=float)
    if scores.size == 0 or not np.all(np.isfinite(scores)):
        raise ValueError("the validation curve must be a non-empty sequence of finite scores")
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    return int(np.flatnonzero(scores >= scores.max() - tolerance)[0]) + 1


class _KeepCheckpoints:
    """Score a model on validation subjects after each check and keep every checkpoint."""

    def __init__(self, val_sets: Mapping[str, CenterVoxels]) -> None:
        self.val_sets, self.curve, self.states = val_sets, [], []

    def __call__(self, model: nn.Module) -> dict[str, float]:
        score = validation_dice(model, self.val_sets)
        self.curve.append(score)
        self.states.append(copy.deepcopy(model.state_dict()))
        return {"validation dice": score}

    def finish(self, model: nn.Module, select: str, tolerance: float) -> TrainedModel:
        chosen = choose_check(self.curve, tolerance) if select == "validation" else len(self.curve)
        model.load_state_dict(self.states[chosen - 1])
        return TrainedModel(model.eval(), tuple(self.curve), chosen, self.states[-1])


def _check_common(checks: int, select: str, tolerance: float) -> None:
    if checks < 1:
        raise ValueError(f"the number of checks (rounds) must be >= 1, got {checks}")
    if select not in ("validation", "last"):
        raise ValueError(f"select must be 'validation' or 'last', got {select!r}")
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be >= 0 (Dice), got {tolerance}")


def train_pooled(
    model_fn: Callable[[], nn.Module],
    data: CenterVoxels,
    val_sets: Mapping[str, CenterVoxels],
    *,
    checks: int,
    epochs_per_check: int,
    lr: float,
    batch_size: int,
    loss_fn: Callable,
    seed: int = 0,
    momentum: float = 0.9,
    select: str = "validation",
    tolerance: float = 0.0,
    schedule: str = "constant",
    device: torch.device | str = "cpu",
) -> TrainedModel:
    """Ordinary training on one site's voxels (centralised = all centers' voxels pooled).

    Parameters
    ----------
    model_fn : callable
        Builds the architecture; called after ``torch.manual_seed(seed)``, so the same
        seed gives the same initial weights in every setting.
    data : CenterVoxels
        Training voxels (one center's, or :func:`~course_lib.federated.experiment.pool_voxels`).
    val_sets : mapping of str to CenterVoxels
        The validation subjects this setting holds.
    checks, epochs_per_check : int
        ``checks`` validation checks, one after every ``epochs_per_check`` epochs.
    lr, batch_size, loss_fn, momentum
        SGD settings and loss (``loss_fn(logits, labels)``).
    seed : int
        Initial weights and batch order.
    select : {"validation", "last"}
        Keep the best checkpoint on ``val_sets`` (the course's rule) or the last one.
    tolerance : float
        With ``select="validation"``: keep the earliest checkpoint within ``tolerance``
        (Dice) of the best (:func:`choose_check`).
    schedule : {"constant", "cosine"}
        Learning rate per check (:func:`check_learning_rate`).
    device : torch.device or str
        Where to train.

    Returns
    -------
    TrainedModel
    """
    _check_common(checks, select, tolerance)
    if epochs_per_check < 1:
        raise ValueError(f"epochs_per_check must be >= 1, got {epochs_per_check}")
    torch.manual_seed(seed)
    model = model_fn().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    batches = VoxelBatches(data, batch_size, torch.Generator().manual_seed(seed))
    check_learning_rate(lr, 1, checks, schedule)  # validates the schedule's name
    keep = _KeepCheckpoints(val_sets)
    for check in range(1, checks + 1):
        for group in optimizer.param_groups:
            group["lr"] = check_learning_rate(lr, check, checks, schedule)
        model.train()
        for _ in range(epochs_per_check):
            for inputs, labels in batches:
                optimizer.zero_grad(set_to_none=True)
                loss_fn(model(inputs.to(device)), labels.to(device)).backward()
                optimizer.step()
        model.eval()
        keep(model)
    return keep.finish(model, select, tolerance)


def train_fedavg(
    model_fn: Callable[[], nn.Module],
    train_sets: Mapping[str, CenterVoxels],
    val_sets: Mapping[str, CenterVoxels],
    *,
    rounds: int,
    local_epochs: int,
    lr: float,
    batch_size: int,
    loss_fn: Callable,
    seed: int = 0,
    momentum: float = 0.9,
    mu: float = 0.0,
    select: str = "validation",
    tolerance: float = 0.0,
    schedule: str = "constant",
    device: torch.device | str = "cpu",
) -> TrainedModel:
    """FedAvg (FedProx with ``mu > 0``) over one client per center, checkpoint chosen on validation.

    Each round every client trains ``local_epochs`` epochs from the global weights and
    returns only its weights; after the round each site scores the global model on its
    own validation subjects and the mean over all validation subjects decides which
    round is kept. Arguments as in :func:`train_pooled`; ``rounds`` is the number of
    checks, ``local_epochs`` the epochs per check, ``mu`` the FedProx coefficient,
    ``tolerance`` as in :func:`choose_check`, ``schedule`` the clients' learning rate per
    round (:func:`check_learning_rate`).

    Returns
    -------
    TrainedModel
    """
    _check_common(rounds, select, tolerance)
    torch.manual_seed(seed)
    global_model = model_fn().to(device)
    clients = make_clients(
        model_fn,
        train_sets,
        batch_size=batch_size,
        local_epochs=local_epochs,
        lr=lr,
        seed=seed,
        mu=mu,
        momentum=momentum,
        loss_fn=loss_fn,
        device=device,
    )
    check_learning_rate(lr, 1, rounds, schedule)  # validates the schedule's name
    keep = _KeepCheckpoints(val_sets)
    run_fedavg(
        clients,
        global_model,
        rounds,
        evaluate_fn=keep,
        lr_schedule=lambda round_: check_learning_rate(lr, round_, rounds, schedule),
    )
    return keep.finish(global_model, select, tolerance)
