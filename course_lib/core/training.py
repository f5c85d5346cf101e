"""The shared training loop.

Chapter 01 writes this loop by hand in ten lines; later chapters call :func:`fit` so that
the notebook shows the model and the data, not the bookkeeping. The loop is plain PyTorch:

    for epoch in range(epochs):
        for inputs, targets in train_loader:
            loss = loss_fn(model(inputs), targets)
            optimizer.zero_grad(); loss.backward(); optimizer.step()
        evaluate on val_loader
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import torch
from tqdm.auto import tqdm

__all__ = ["fit", "evaluate", "History", "move_batch"]

MetricFn = Callable[[torch.Tensor, torch.Tensor], "float | torch.Tensor"]


@dataclass
class History:
    """Per-epoch record of a training run.

    Attributes
    ----------
    history : dict of str to list of float
        ``"loss"`` (mean training loss of each epoch), ``"val_loss"`` and ``"val_<name>"``
        for each metric when a validation loader is given.
    """

    history: dict[str, list[float]] = field(default_factory=dict)

    def append(self, logs: Mapping[str, float]) -> None:
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    def last(self) -> dict[str, float]:
        """The logs of the final epoch."""
        return {key: values[-1] for key, values in self.history.items()}

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __len__(self) -> int:
        return len(self.history.get("loss", []))


def move_batch(batch: Any, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a batch into ``(inputs, targets)`` on ``device``.

    A batch is either a pair ``(inputs, targets)`` or a dict with keys ``"image"`` and
    ``"label"`` (the augmentation transforms' format).
    """
    if isinstance(batch, Mapping):
        if "image" not in batch or "label" not in batch:
            raise KeyError(f"a dict batch needs keys 'image' and 'label', got {sorted(batch)}")
        inputs, targets = batch["image"], batch["label"]
    elif isinstance(batch, (tuple, list)) and len(batch) == 2:
        inputs, targets = batch
    else:
        raise TypeError(
            "a batch must be (inputs, targets) or {'image': ..., 'label': ...}; "
            f"got {type(batch).__name__}"
        )
    non_blocking = device.type == "cuda"
    return inputs.to(device, non_blocking=non_blocking), targets.to(
        device, non_blocking=non_blocking
    )


def _autocast(device: torch.device, enabled: bool):
    if enabled and device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.float16)
    return contextlib.nullcontext()


@torch.no_grad()
def evaluate(
    model: torch.nn.Module,
    loader: Iterable,
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    metrics: Mapping[str, MetricFn] | None = None,
    device: torch.device | None = None,
    amp: bool | None = None,
) -> dict[str, float]:
    """Average the loss and metrics of ``model`` over ``loader``.

    Returns
    -------
    dict
        ``{"loss": ..., "<metric>": ...}``, each a sample-weighted mean over batches.
    """
    device = device or next(model.parameters()).device
    amp = device.type == "cuda" if amp is None else amp
    model.eval()
    totals: dict[str, float] = {}
    count = 0
    for batch in loader:
        inputs, targets = move_batch(batch, device)
        with _autocast(device, amp):
            outputs = model(inputs)
        outputs = outputs.float() if torch.is_tensor(outputs) else outputs
        n = len(inputs)
        if loss is not None:
            totals["loss"] = totals.get("loss", 0.0) + float(loss(outputs, targets)) * n
        for name, fn in (metrics or {}).items():
            totals[name] = totals.get(name, 0.0) + float(fn(outputs, targets)) * n
        count += n
    if count == 0:
        raise ValueError("evaluate() got an empty loader: check the dataset split")
    return {name: total / count for name, total in totals.items()}


def fit(
    model: torch.nn.Module,
    train_loader: Iterable,
    val_loader: Iterable | None,
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    epochs: int,
    metrics: Mapping[str, MetricFn] | None = None,
    device: torch.device | None = None,
    scheduler: Any | None = None,
    progress: bool = True,
    amp: bool | None = None,
    on_epoch_end: Callable[[int, dict[str, float]], None] | None = None,
) -> History:
    """Train ``model`` for ``epochs`` epochs and return its history.

    Parameters
    ----------
    model : torch.nn.Module
        Moved to ``device`` first.
    train_loader, val_loader : iterable of batches
        Batches are ``(inputs, targets)`` or ``{"image", "label"}`` dicts. ``val_loader``
        may be None (no validation).
    loss : callable
        ``loss(outputs, targets) -> scalar tensor``.
    optimizer : torch.optim.Optimizer
    epochs : int
        Number of passes over ``train_loader`` (>= 1).
    metrics : dict of str to callable, optional
        ``metric(outputs, targets) -> float``, evaluated on ``val_loader`` each epoch and
        logged as ``"val_<name>"``.
    device : torch.device, optional
        Defaults to :func:`course_lib.core.device.get_device`.
    scheduler : optional
        Stepped once per epoch (``scheduler.step()``).
    progress : bool
        Show a tqdm progress bar over epochs with the current losses.
    amp : bool, optional
        Mixed precision (float16 autocast + gradient scaling). Default: on for CUDA only.
    on_epoch_end : callable, optional
        Called as ``on_epoch_end(epoch, logs)`` after each epoch (e.g. to save samples).

    Returns
    -------
    History
    """
    if int(epochs) < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if device is None:
        from course_lib.core.device import get_device

        device = get_device()
    amp = device.type == "cuda" if amp is None else amp
    model.to(device)
    scaler = torch.amp.GradScaler("cuda", enabled=amp and device.type == "cuda")
    history = History()
    bar = tqdm(range(int(epochs)), desc="epochs", disable=not progress, leave=True)
    for epoch in bar:
        model.train()
        total, count = 0.0, 0
        for batch in train_loader:
            inputs, targets = move_batch(batch, device)
            optimizer.zero_grad(set_to_none=True)
            with _autocast(device, amp):
                outputs = model(inputs)
                batch_loss = loss(outputs, targets)
            scaler.scale(batch_loss).backward()
            scaler.step(optimizer)
            scaler.update()
            total += float(batch_loss.detach()) * len(inputs)
            count += len(inputs)
        if count == 0:
            raise ValueError("fit() got an empty train_loader: check the dataset split")
        logs = {"loss": total / count}
        if val_loader is not None:
            val = evaluate(model, val_loader, loss, metrics, device, amp)
            logs.update({f"val_{name}": value for name, value in val.items()})
        if scheduler is not None:
            scheduler.step()
        history.append(logs)
        bar.set_postfix({key: f"{value:.4f}" for key, value in logs.items()})
        if on_epoch_end is not None:
            on_epoch_end(epoch, logs)
    return history
