"""Contrastive pretraining in miniature: NT-Xent, a tiny encoder, SimCLR-style training (chapter 14).

SimCLR [1]_ learns an encoder without labels: two random augmentations ("views") of the same
image should map to nearby points, views of different images to distant ones. For a batch of
``B`` images there are ``2B`` views; view ``i``'s *positive* is the other view of its image and
the ``2B - 2`` remaining views are its *negatives*. With ``s_ij`` the cosine similarity of the
projections and a temperature ``t``, the NT-Xent loss of view ``i`` is::

    l_i = -log( exp(s_ip / t) / sum_{k != i} exp(s_ik / t) )

averaged over the ``2B`` views. It is a ``2B``-way classification (which view is my partner?),
which is how :func:`nt_xent_loss` computes it, with ``cross_entropy``.

Augmenting on the fly with :mod:`course_lib.augmentation` costs more than the tiny encoder
itself on a CPU, so :func:`augmented_views` draws a fixed *bank* of views per image once, and
each step of :func:`pretrain_contrastive` picks two different views of each image from it.

References
----------
.. [1] T. Chen, S. Kornblith, M. Norouzi, G. Hinton, "A simple framework for contrastive
   learning of visual representations", ICML 2020, PMLR 119:1597-1607. arXiv:2002.05709
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "SmallEncoder",
    "ProjectionHead",
    "augmented_views",
    "nt_xent_loss",
    "pretrain_contrastive",
    "PretrainingRun",
]


def nt_xent_loss(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.2) -> torch.Tensor:
    """NT-Xent (normalised temperature-scaled cross-entropy) of two batches of projections.

    Parameters
    ----------
    z1, z2 : torch.Tensor
        ``(B, D)`` projections of the first and second view of the same ``B`` images
        (row ``b`` of ``z1`` and row ``b`` of ``z2`` are a positive pair). Need not be
        normalised.
    temperature : float
        ``t`` > 0; smaller values weigh the hardest negatives more.

    Returns
    -------
    torch.Tensor
        Scalar: the mean over the ``2B`` views.
    """
    if z1.shape != z2.shape or z1.ndim != 2 or z1.shape[0] < 2:
        raise ValueError(
            f"z1 and z2 must both be (B, D) with B >= 2 (one row per image), got "
            f"{tuple(z1.shape)} and {tuple(z2.shape)}"
        )
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    b = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = z @ z.T / temperature
    logits = logits.masked_fill(torch.eye(2 * b, dtype=torch.bool, device=z.device), float("-inf"))
    partner = torch.cat([torch.arange(b, 2 * b), torch.arange(0, b)]).to(z.device)
    return F.cross_entropy(logits, partner)


class SmallEncoder(nn.Module):
    """Three conv blocks (3x3 conv, BatchNorm, ReLU, 2x2 max-pool) and a global average.

    ``(N, C, H, W)`` -> ``(N, 4 * width)`` features. ``width=16`` has about 24 k weights.
    """

    def __init__(self, in_channels: int = 2, width: int = 16) -> None:
        super().__init__()
        chans = [in_channels, width, 2 * width, 4 * width]
        layers: list[nn.Module] = []
        for c_in, c_out in zip(chans[:-1], chans[1:]):
            layers += [
                nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
        self.features = nn.Sequential(*layers)
        self.out_features = chans[-1]
        self.config = {"in_channels": in_channels, "width": width}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x).mean(dim=(2, 3))


class ProjectionHead(nn.Module):
    """SimCLR's projection ``g``: Linear, ReLU, Linear. The loss sees ``g(f(x))``; the
    downstream task uses ``f(x)`` (the representation before the head)."""

    def __init__(self, in_features: int, out_features: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_features, in_features),
            nn.ReLU(inplace=True),
            nn.Linear(in_features, out_features),
        )

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.net(h)


def augmented_views(
    images: np.ndarray, augment: Callable, n_views: int, seed: int = 0
) -> np.ndarray:
    """``(N, n_views, C, H, W)``: ``n_views`` independent augmentations of every image.

    ``augment`` maps a sample ``{"image": (C, H, W) tensor}`` to a new one with an ``rng``
    argument (any :mod:`course_lib.augmentation` transform or ``Compose``); image ``i``'s view
    ``v`` uses the seed ``seed * 1_000_003 + i * n_views + v``, so the bank is reproducible.
    """
    if n_views < 2:
        raise ValueError(f"n_views must be >= 2 (a positive pair needs two views), got {n_views}")
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4:
        raise ValueError(f"images must be (N, C, H, W), got shape {images.shape}")
    bank = np.empty((len(images), n_views) + images.shape[1:], dtype=np.float32)
    for i, image in enumerate(images):
        sample = {"image": torch.from_numpy(image)}
        for v in range(n_views):
            bank[i, v] = augment(sample, rng=seed * 1_000_003 + i * n_views + v)["image"].numpy()
    return bank


@dataclass
class PretrainingRun:
    """What :func:`pretrain_contrastive` did: loss per step and CPU seconds."""

    losses: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0

    @property
    def steps(self) -> int:
        return len(self.losses)


def pretrain_contrastive(
    encoder: nn.Module,
    head: nn.Module,
    views: np.ndarray,
    steps: int,
    batch_size: int = 64,
    lr: float = 1e-3,
    temperature: float = 0.2,
    seed: int = 0,
    loss_fn: Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor] = nt_xent_loss,
) -> PretrainingRun:
    """Train ``encoder`` and ``head`` with NT-Xent on a bank of views; returns the run.

    Parameters
    ----------
    encoder, head : nn.Module
        ``head(encoder(x))`` gives the projections; both are trained (Adam, ``lr``).
    views : np.ndarray
        ``(N, V, C, H, W)`` from :func:`augmented_views`; no labels anywhere.
    steps : int
        Number of Adam updates (>= 0; 0 leaves the weights as they are).
    batch_size : int
        Images per step (``2 * batch_size`` views); at most ``N``.
    temperature : float
        NT-Xent temperature.
    seed : int
        Seeds the order of images and the choice of the two views.
    loss_fn : callable
        ``loss_fn(z1, z2, temperature)``; :func:`nt_xent_loss` unless a chapter passes its own.
    """
    views = np.asarray(views, dtype=np.float32)
    n, n_views = views.shape[:2]
    if views.ndim != 5 or n_views < 2:
        raise ValueError(f"views must be (N, V >= 2, C, H, W), got shape {views.shape}")
    if not 2 <= batch_size <= n:
        raise ValueError(f"batch_size must be in [2, N={n}], got {batch_size}")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    device = next(encoder.parameters()).device
    rng = np.random.default_rng(seed)
    params = list(encoder.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(params, lr=lr)
    run = PretrainingRun()
    start = time.process_time()
    encoder.train()
    head.train()
    order = rng.permutation(n)
    cursor = 0
    for _ in range(steps):
        if cursor + batch_size > n:
            order, cursor = rng.permutation(n), 0
        batch = order[cursor : cursor + batch_size]
        cursor += batch_size
        first = rng.integers(0, n_views, size=batch_size)
        second = (first + rng.integers(1, n_views, size=batch_size)) % n_views  # never the same
        x1 = torch.from_numpy(views[batch, first]).to(device)
        x2 = torch.from_numpy(views[batch, second]).to(device)
        z1, z2 = head(encoder(torch.cat([x1, x2]))).chunk(2)  # one pass: shared BatchNorm
        loss = loss_fn(z1, z2, temperature)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        run.losses.append(float(loss.detach()))
    run.cpu_seconds = time.process_time() - start
    encoder.eval()
    head.eval()
    return run
