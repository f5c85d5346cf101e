"""What a representation is worth with few labels: linear probe and fine-tuning (chapter 14).

* :func:`linear_probe` -- the encoder is frozen; a logistic regression is fit on its features
  (standardised) of the labelled images. It measures what the representation already holds.
* :func:`fine_tune` -- the encoder and a new linear layer are trained together on the labelled
  images; started from random weights, the same function is "supervised from scratch".
* :func:`per_subject_auc` -- the slice-level ROC AUC computed per held-out subject (the unit
  that generalises; see :mod:`course_lib.evaluation.statistics`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["encode", "linear_probe", "fine_tune", "predict", "per_subject_auc"]


@torch.no_grad()
def encode(encoder: nn.Module, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """``(N, D)`` features of ``images`` ``(N, C, H, W)`` by ``encoder`` in eval mode."""
    encoder.eval()
    device = next(encoder.parameters()).device
    out = [
        encoder(torch.from_numpy(np.ascontiguousarray(images[i : i + batch_size])).to(device)).cpu()
        for i in range(0, len(images), batch_size)
    ]
    return torch.cat(out).numpy().astype(np.float64)


def _check_labels(labels: np.ndarray) -> np.ndarray:
    labels = np.asarray(labels).astype(np.int64)
    if set(np.unique(labels)) != {0, 1}:
        raise ValueError(
            f"labels must contain both classes 0 and 1, got {sorted(set(labels.tolist()))}; "
            "draw the labelled set per class"
        )
    return labels


def linear_probe(
    train_features: np.ndarray, train_labels: np.ndarray, C: float = 1.0
) -> Callable[[np.ndarray], np.ndarray]:
    """Fit a standardised L2 logistic regression; returns ``features -> P(label 1)``.

    Parameters
    ----------
    train_features : np.ndarray
        ``(n, D)`` frozen features of the labelled images.
    train_labels : np.ndarray
        ``(n,)`` 0/1 labels (both classes present).
    C : float
        Inverse regularisation strength (scikit-learn's convention), chosen on validation.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))
    model.fit(np.asarray(train_features, dtype=np.float64), _check_labels(train_labels))
    return lambda features: model.predict_proba(np.asarray(features, dtype=np.float64))[:, 1]


class _Classifier(nn.Module):
    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.linear = nn.Linear(encoder.out_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.encoder(x)).squeeze(1)


def fine_tune(
    encoder: nn.Module,
    images: np.ndarray,
    labels: np.ndarray,
    steps: int,
    lr: float = 1e-3,
    batch_size: int = 32,
    seed: int = 0,
) -> nn.Module:
    """Train a copy of ``encoder`` plus a linear layer with binary cross-entropy.

    ``encoder`` is not modified (it is deep-copied). Batches are drawn with replacement from the
    labelled images, half from each class, so that 4 labelled slices and 128 are trained the
    same number of ``steps``. Returns the classifier (``images -> logits``) in eval mode.
    """
    labels = _check_labels(labels)
    if steps < 0 or batch_size < 2:
        raise ValueError(f"steps must be >= 0 and batch_size >= 2, got {steps}, {batch_size}")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = _Classifier(copy.deepcopy(encoder))
    device = next(encoder.parameters()).device
    model.to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    by_class = [np.flatnonzero(labels == c) for c in (0, 1)]
    half = batch_size // 2
    for _ in range(steps):
        batch = np.concatenate([rng.choice(idx, half) for idx in by_class])
        x = torch.from_numpy(np.ascontiguousarray(images[batch])).to(device)
        y = torch.from_numpy(labels[batch].astype(np.float32)).to(device)
        loss = F.binary_cross_entropy_with_logits(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


@torch.no_grad()
def predict(model: nn.Module, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """``(N,)`` scores (logits) of a :func:`fine_tune` classifier."""
    model.eval()
    device = next(model.parameters()).device
    return (
        torch.cat(
            [
                model(
                    torch.from_numpy(np.ascontiguousarray(images[i : i + batch_size])).to(device)
                ).cpu()
                for i in range(0, len(images), batch_size)
            ]
        )
        .numpy()
        .astype(np.float64)
    )


def per_subject_auc(scores: np.ndarray, labels: np.ndarray, subject: np.ndarray) -> np.ndarray:
    """Slice-level ROC AUC of each subject (in increasing subject order).

    Raises ``ValueError`` for a subject whose slices are all of one class (its AUC does not
    exist): keep only subjects with tumour and tumour-free slices in a test set.
    """
    from sklearn.metrics import roc_auc_score

    scores, labels, subject = np.asarray(scores), np.asarray(labels), np.asarray(subject)
    out = []
    for s in np.unique(subject):
        mine = subject == s
        if len(np.unique(labels[mine])) < 2:
            raise ValueError(
                f"subject {s} has slices of one class only; its AUC is undefined -- drop it "
                "from the test set"
            )
        out.append(roc_auc_score(labels[mine], scores[mine]))
    return np.asarray(out)
