"""Fine-tuning a pretrained network: freezing layers properly, training for a fixed number of
steps and recording a learning curve on the way (chapter 06).

Two points the chapter teaches, in code:

* **A frozen layer is more than** ``requires_grad = False``. A batch-normalisation layer also
  *updates its running mean and variance* in training mode, and normalises with the statistics
  of the current batch. "Frozen" weights under a BatchNorm layer in training mode therefore still
  change what the layer computes. :func:`train_steps` keeps every module listed in ``frozen`` in
  evaluation mode for the whole training, so that its statistics stay those of the source task;
  :func:`batchnorm_statistics` lets the chapter show the difference.
* **Compare methods at equal budgets.** A training budget is a number of optimiser steps (each on
  one batch), not a number of epochs of data sets of different sizes; :func:`train_steps` takes
  ``steps`` and evaluates the model at the steps listed in ``evaluate_at``, which gives a learning
  curve from one run.

References
----------
Ioffe S, Szegedy C. Batch normalization: accelerating deep network training by reducing internal
covariate shift. ICML 2015. arXiv:1502.03167

Yosinski J, Clune J, Bengio Y, Lipson H. How transferable are features in deep neural networks?
NeurIPS 2014. arXiv:1411.1792
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

__all__ = ["TrainingRun", "freeze", "batchnorm_statistics", "train_steps"]


@dataclass
class TrainingRun:
    """What :func:`train_steps` did.

    Attributes
    ----------
    losses : list of float
        Training loss of every step, in order.
    evaluations : dict of int to Any
        ``{step: evaluate(model)}`` for each step of ``evaluate_at`` (0 = before training).
    """

    losses: list[float] = field(default_factory=list)
    evaluations: dict[int, Any] = field(default_factory=dict)


def _modules(modules: nn.Module | Iterable[nn.Module]) -> list[nn.Module]:
    items = [modules] if isinstance(modules, nn.Module) else list(modules)
    for m in items:
        if not isinstance(m, nn.Module):
            raise TypeError(
                f"frozen parts must be torch.nn.Module objects (e.g. unet.encoder), "
                f"got {type(m).__name__}"
            )
    return items


def freeze(modules: nn.Module | Iterable[nn.Module]) -> int:
    """Set ``requires_grad = False`` on every parameter of ``modules``; return how many weights.

    This alone does not freeze BatchNorm statistics: pass the same modules as ``frozen`` to
    :func:`train_steps`, which also keeps them in evaluation mode.
    """
    n = 0
    for module in _modules(modules):
        for p in module.parameters():
            p.requires_grad_(False)
            n += p.numel()
    return n


def batchnorm_statistics(module: nn.Module) -> torch.Tensor:
    """All running means and variances of the BatchNorm layers in ``module``, as one 1-D tensor.

    Compare the result before and after a training run to see whether "frozen" layers moved.
    """
    parts = [
        torch.cat([m.running_mean, m.running_var]).detach().cpu().clone()
        for m in module.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.running_mean is not None
    ]
    return torch.cat(parts) if parts else torch.zeros(0)


def train_steps(
    model: nn.Module,
    dataset: Dataset,
    steps: int,
    lr: float,
    loss: Callable,
    batch_size: int = 32,
    device: torch.device | None = None,
    frozen: nn.Module | Iterable[nn.Module] = (),
    evaluate_at: Sequence[int] = (),
    evaluate: Callable[[nn.Module], Any] | None = None,
    weight_decay: float = 0.0,
) -> TrainingRun:
    """Train ``model`` with Adam for exactly ``steps`` batches; evaluate it on the way.

    Parameters
    ----------
    model : torch.nn.Module
        Trained in place (moved to ``device``).
    dataset : torch.utils.data.Dataset
        ``(input, target)`` items, read in order (``shuffle=False``: a dataset that draws random
        crops, like :class:`course_lib.transfer.pretrain.RandomCropDataset`, is already random);
        read again from the start if it has fewer than ``steps * batch_size`` items.
    steps : int
        Number of optimiser steps (>= 0; 0 only evaluates).
    lr : float
        Adam learning rate (>= 0; 0 is the "nothing learnt" control).
    loss : callable
        ``loss(outputs, targets) -> scalar tensor``.
    batch_size : int
    device : torch.device, optional
        Defaults to the model's device.
    frozen : module or iterable of modules
        Parts that must not change: their parameters get ``requires_grad = False`` and the
        modules stay in evaluation mode (BatchNorm uses and keeps its stored statistics).
    evaluate_at : sequence of int
        Steps after which ``evaluate(model)`` is called (0: before the first step).
    evaluate : callable, optional
        ``evaluate(model) -> result``; the model is put back in training mode afterwards.
    weight_decay : float

    Returns
    -------
    TrainingRun
        The loss of every step and the evaluations.

    Notes
    -----
    2-D batches ``(B, C, H, W)`` are passed to the model in channels-last memory layout, which
    makes small 2-D convolutions about 30 % faster on a CPU (the numbers agree with the default
    layout up to float rounding).
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    if lr < 0:
        raise ValueError(f"lr must be >= 0, got {lr}")
    checkpoints = sorted(set(int(s) for s in evaluate_at))
    if checkpoints and (checkpoints[0] < 0 or checkpoints[-1] > steps):
        raise ValueError(f"evaluate_at must lie in [0, steps={steps}], got {list(evaluate_at)}")
    if checkpoints and evaluate is None:
        raise ValueError("evaluate_at needs evaluate=<function of the model>")
    frozen_parts = _modules(frozen)
    freeze(frozen_parts)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameter: unfreeze some layers")
    if device is None:
        device = next(model.parameters()).device
    model.to(device)
    optimizer = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    run = TrainingRun()

    def training_mode() -> None:
        model.train()
        for part in frozen_parts:
            part.eval()

    def record(step: int) -> None:
        if step in checkpoints:
            run.evaluations[step] = evaluate(model)
            training_mode()

    training_mode()
    record(0)
    step = 0
    while step < steps:
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=0)
        n_batches = 0
        for inputs, targets in loader:
            n_batches += 1
            inputs, targets = inputs.to(device), targets.to(device)
            if inputs.ndim == 4:  # channels-last layout: ~30 % faster 2-D convolutions on CPU
                inputs = inputs.contiguous(memory_format=torch.channels_last)
            optimizer.zero_grad(set_to_none=True)
            value = loss(model(inputs), targets)
            value.backward()
            optimizer.step()
            step += 1
            run.losses.append(float(value.detach()))
            record(step)
            if step == steps:
                break
        if n_batches == 0:
            raise ValueError("dataset is empty: nothing to train on")
    model.eval()
    return run
