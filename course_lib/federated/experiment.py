"""Chapter 11b's federated experiment: lesion voxels per scanner, clients, Dice per center.

The four simulated MS-SEG scanners (:data:`course_lib.simulation.CENTERS`) play the
hospitals of a cross-silo federation. To keep the chapter within its CPU budget the
"hospital model" is a voxel classifier (an MLP, chapter 01 style) on local intensity
features: each contrast z-scored in the subject's brain mask, plus its local means
over small cubes (context and denoising). This module

* turns a center's subjects into training voxels (every lesion voxel, the voxels
  bordering the lesions and a random sample of the other brain voxels) or evaluation
  voxels (every brain voxel of the region), restricted to a world box around the
  periventricular white matter where the simulator puts MS lesions
  (:data:`LESION_BOX_MM`);
* builds one federated :class:`~course_lib.federated.Client` per center, each with
  its own seeded mini-batch iterator (:class:`VoxelBatches`); and
* scores a model by the per-subject lesion Dice (inside the region, :func:`dice_by_subject`).

Conventions: subjects' arrays are indexed ``(X, Y, Z)`` on the ICBM152 grid (RAS
world axes, mm); the box is given in world millimetres and the smoothing scales in
mm, so the same settings work at 1 mm and 2 mm.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Iterator, Mapping, Sequence

import numpy as np
import torch
from scipy import ndimage
from torch import nn

from course_lib.federated import Client
from course_lib.metrics import dice
from course_lib.simulation.datasets import normalize_subject

__all__ = [
    "LESION_BOX_MM",
    "CenterVoxels",
    "VoxelBatches",
    "box_mask",
    "feature_names",
    "voxel_features",
    "training_voxels",
    "evaluation_voxels",
    "pool_voxels",
    "dice_by_subject",
    "make_clients",
]

#: World box (RAS, mm) around the simulated lesions, ``axis -> (start, stop)``: voxel
#: centres with ``start <= coordinate < stop`` belong to the region (at 2 mm: 64 x 80 x
#: 38 voxels; it held 93 % of the lesion voxels of 24 simulated subjects, 6 per center, seed 11).
LESION_BOX_MM = MappingProxyType({"x": (-58.0, 70.0), "y": (-102.0, 58.0), "z": (-24.0, 52.0)})


@dataclass(frozen=True)
class CenterVoxels:
    """Voxel features and lesion labels of one center (or of pooled centers).

    Attributes
    ----------
    features : torch.Tensor
        ``(N, F)`` float32 (see :func:`feature_names` for the columns).
    labels : torch.Tensor
        ``(N,)`` int64, 1 = lesion.
    subject : torch.Tensor
        ``(N,)`` int64 number of each voxel's subject (distinct across pooled centers).
    center : str
        Center key, or a name for pooled data.
    """

    features: torch.Tensor
    labels: torch.Tensor
    subject: torch.Tensor
    center: str

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def n_subjects(self) -> int:
        """Number of distinct subjects."""
        return int(torch.unique(self.subject).numel())


class VoxelBatches:
    """Shuffled mini-batches ``(features (B, F), labels (B,))`` of a :class:`CenterVoxels`.

    A light replacement for a DataLoader over tensors (slicing whole batches instead
    of collating single items): a new permutation from ``generator`` each pass.
    ``dataset`` is the :class:`CenterVoxels`, so ``len(loader.dataset)`` is the
    number of voxels, as :class:`course_lib.federated.Client` expects.
    """

    def __init__(
        self, data: CenterVoxels, batch_size: int, generator: torch.Generator | None = None
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if len(data) == 0:
            raise ValueError(f"center {data.center!r} has no voxels to train on")
        self.dataset, self.batch_size = data, int(batch_size)
        self.generator = generator if generator is not None else torch.Generator().manual_seed(0)

    def __len__(self) -> int:
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = torch.randperm(len(self.dataset), generator=self.generator)
        for start in range(0, len(order), self.batch_size):
            chosen = order[start : start + self.batch_size]
            yield self.dataset.features[chosen], self.dataset.labels[chosen]


def box_mask(
    affine: np.ndarray,
    shape: Sequence[int],
    box_mm: Mapping[str, tuple[float, float]] = LESION_BOX_MM,
) -> np.ndarray:
    """Boolean ``(X, Y, Z)`` mask of the voxels whose centres lie inside a world box.

    Parameters
    ----------
    affine : numpy.ndarray
        ``(4, 4)`` voxel -> world (RAS, mm) affine.
    shape : sequence of int
        Grid shape ``(X, Y, Z)``.
    box_mm : mapping
        ``{"x": (start, stop), "y": ..., "z": ...}`` in mm.
    """
    affine = np.asarray(affine, dtype=float)
    if affine.shape != (4, 4):
        raise ValueError(f"affine must be 4 x 4, got shape {affine.shape}")
    if set(box_mm) != {"x", "y", "z"}:
        raise ValueError(f"box_mm needs exactly the keys 'x', 'y', 'z', got {sorted(box_mm)}")
    ijk = np.indices(tuple(shape[:3]), dtype=float).reshape(3, -1)
    world = affine[:3, :3] @ ijk + affine[:3, 3:4]
    inside = np.ones(world.shape[1], dtype=bool)
    for axis, name in enumerate("xyz"):
        start, stop = box_mm[name]
        inside &= (world[axis] >= start) & (world[axis] < stop)
    return inside.reshape(tuple(shape[:3]))


def _window(scale_mm: float, spacing: float) -> int:
    size = max(1, int(round(scale_mm / spacing)))
    return size if size % 2 else size + 1


def feature_names(
    contrasts: Sequence[str] = ("T1w", "FLAIR"), smoothing_mm: Sequence[float] = (6.0, 14.0)
) -> list[str]:
    """Column names of :func:`voxel_features`: per contrast, the voxel then each local mean."""
    return [
        name
        for contrast in contrasts
        for name in [contrast] + [f"{contrast} mean {s:g} mm" for s in smoothing_mm]
    ]


def voxel_features(
    subject,
    contrasts: Sequence[str] = ("T1w", "FLAIR"),
    smoothing_mm: Sequence[float] = (6.0, 14.0),
) -> np.ndarray:
    """Per-voxel features ``(F, X, Y, Z)`` float32 of one subject.

    For each contrast: its intensity z-scored inside the subject's brain mask, then
    its mean over cubes of about ``smoothing_mm`` mm (odd number of voxels, edges
    repeated). ``F = len(contrasts) * (1 + len(smoothing_mm))``.
    """
    volumes = normalize_subject(subject, contrasts)
    spacing = float(abs(np.asarray(subject.affine)[0, 0]))
    out = []
    for volume in volumes:
        out.append(volume)
        out += [
            ndimage.uniform_filter(volume, _window(s, spacing), mode="nearest")
            for s in smoothing_mm
        ]
    return np.stack(out).astype(np.float32, copy=False)


def _region(subject, box_mm) -> np.ndarray:
    return np.asarray(subject.brain_mask, dtype=bool) & box_mask(
        subject.affine, subject.shape, box_mm
    )


def _center_name(subjects, center):
    return center if center is not None else "+".join(sorted({s.center for s in subjects}))


def training_voxels(
    subjects: Sequence,
    *,
    n_background: int,
    border_width: int = 1,
    seed: int = 0,
    contrasts: Sequence[str] = ("T1w", "FLAIR"),
    smoothing_mm: Sequence[float] = (6.0, 14.0),
    box_mm: Mapping[str, tuple[float, float]] = LESION_BOX_MM,
    center: str | None = None,
) -> CenterVoxels:
    """Lesion voxels, the voxels bordering them, and random other brain voxels of the region.

    The border (non-lesion voxels within ``border_width`` voxels of a lesion, 6-connected
    dilation) holds the hard negatives: partial-volume voxels that look like lesion in
    FLAIR. A random sample alone would rarely contain them, and the model would then
    over-segment every lesion's rim.

    Parameters
    ----------
    subjects : sequence of course_lib.simulation.Subject
        Subjects simulated with ``lesions=True`` and the ``contrasts``.
    n_background : int
        Other non-lesion voxels drawn (without replacement) per subject; all of them
        if fewer exist.
    border_width : int
        Width of the border in voxels (0: no border voxels).
    seed : int
        Seed of the draw.
    contrasts, smoothing_mm
        See :func:`voxel_features`.
    box_mm : mapping
        Region (see :data:`LESION_BOX_MM`).
    center : str, optional
        Name to store; default: the subjects' center key(s).

    Returns
    -------
    CenterVoxels
        Rows per subject: lesion voxels (label 1), border voxels, then the random
        sample (label 0). Lesions are over-represented compared with the whole
        region; weight the loss accordingly.
    """
    subjects = list(subjects)
    if not subjects:
        raise ValueError("subjects is empty: pass at least one simulated Subject")
    if n_background < 0:
        raise ValueError(f"n_background must be >= 0, got {n_background}")
    if border_width < 0:
        raise ValueError(f"border_width must be >= 0 voxels, got {border_width}")
    rng = np.random.default_rng(seed)
    features, labels, owner = [], [], []
    for k, subject in enumerate(subjects):
        region = _region(subject, box_mm)
        lesion = np.asarray(subject.lesion_mask, dtype=bool) & region
        positives = np.flatnonzero(lesion)
        border = np.zeros_like(lesion)
        if border_width > 0:
            border = ndimage.binary_dilation(lesion, iterations=border_width) & region & ~lesion
        rim = np.flatnonzero(border)
        others = np.flatnonzero(region & ~lesion & ~border)
        others = np.sort(rng.choice(others, size=min(n_background, others.size), replace=False))
        chosen = np.concatenate([positives, rim, others])
        volume = voxel_features(subject, contrasts, smoothing_mm)
        features.append(volume.reshape(volume.shape[0], -1)[:, chosen].T)
        labels.append(np.concatenate([np.ones(positives.size), np.zeros(rim.size + others.size)]))
        owner.append(np.full(chosen.size, k))
    return CenterVoxels(
        torch.from_numpy(np.ascontiguousarray(np.concatenate(features))),
        torch.from_numpy(np.concatenate(labels).astype(np.int64)),
        torch.from_numpy(np.concatenate(owner).astype(np.int64)),
        _center_name(subjects, center),
    )


def evaluation_voxels(
    subjects: Sequence,
    contrasts: Sequence[str] = ("T1w", "FLAIR"),
    smoothing_mm: Sequence[float] = (6.0, 14.0),
    box_mm: Mapping[str, tuple[float, float]] = LESION_BOX_MM,
    center: str | None = None,
) -> CenterVoxels:
    """Every brain voxel of the region of each subject (to compute 3-D Dice).

    Same arguments as :func:`training_voxels` (without sampling).
    """
    subjects = list(subjects)
    if not subjects:
        raise ValueError("subjects is empty: pass at least one simulated Subject")
    features, labels, owner = [], [], []
    for k, subject in enumerate(subjects):
        region = _region(subject, box_mm)
        features.append(voxel_features(subject, contrasts, smoothing_mm)[:, region].T)
        labels.append(np.asarray(subject.lesion_mask, dtype=bool)[region])
        owner.append(np.full(int(region.sum()), k))
    return CenterVoxels(
        torch.from_numpy(np.ascontiguousarray(np.concatenate(features))),
        torch.from_numpy(np.concatenate(labels).astype(np.int64)),
        torch.from_numpy(np.concatenate(owner).astype(np.int64)),
        _center_name(subjects, center),
    )


def pool_voxels(parts: Sequence[CenterVoxels], name: str = "pooled") -> CenterVoxels:
    """Concatenate centers (centralised training); subject numbers stay distinct."""
    parts = list(parts)
    if not parts:
        raise ValueError("parts is empty: pass at least one CenterVoxels")
    offsets = np.cumsum([0] + [int(p.subject.max()) + 1 for p in parts[:-1]])
    return CenterVoxels(
        torch.cat([p.features for p in parts]),
        torch.cat([p.labels for p in parts]),
        torch.cat([p.subject + int(o) for p, o in zip(parts, offsets)]),
        name,
    )


@torch.no_grad()
def dice_by_subject(
    model: nn.Module, data: CenterVoxels, *, batch_size: int = 1 << 16
) -> np.ndarray:
    """Lesion Dice of each subject (arg-max of the model's 2-class logits, in the region).

    Returns
    -------
    numpy.ndarray
        ``(n_subjects,)`` float64, in increasing subject number.
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    predicted = torch.cat(
        [
            model(data.features[i : i + batch_size].to(device)).argmax(dim=1).cpu()
            for i in range(0, len(data), batch_size)
        ]
    )
    model.train(was_training)
    return np.asarray(
        [
            dice(predicted[data.subject == k], data.labels[data.subject == k])
            for k in torch.unique(data.subject).tolist()
        ],
        dtype=float,
    )


def make_clients(
    model_fn: Callable[[], nn.Module],
    train_sets: Mapping[str, CenterVoxels],
    *,
    batch_size: int,
    local_epochs: int,
    lr: float,
    seed: int = 0,
    mu: float = 0.0,
    momentum: float = 0.0,
    loss_fn: Callable | None = None,
    device: torch.device | str | None = None,
) -> list[Client]:
    """One federated :class:`~course_lib.federated.Client` per center.

    Each client iterates its own :class:`VoxelBatches` with a generator seeded from
    ``seed`` and the client's position, so runs are reproducible; its FedAvg weight
    is its number of training voxels.

    Parameters
    ----------
    model_fn : callable
        Builds the shared architecture.
    train_sets : mapping of str to CenterVoxels
        Each center's training voxels; keys become the clients' names.
    batch_size, local_epochs, lr, mu, momentum, loss_fn, device
        As in :class:`course_lib.federated.Client`.
    seed : int
        Base seed of the shuffling.

    Returns
    -------
    list of Client
        In the order of ``train_sets``.
    """
    if not train_sets:
        raise ValueError("train_sets is empty: give at least one center's voxels")
    clients = []
    for index, (name, data) in enumerate(train_sets.items()):
        batches = VoxelBatches(data, batch_size, torch.Generator().manual_seed(seed + 1009 * index))
        clients.append(
            Client(
                model_fn,
                batches,
                local_epochs=local_epochs,
                lr=lr,
                mu=mu,
                momentum=momentum,
                loss_fn=loss_fn,
                device=device,
                name=name,
            )
        )
    return clients
