"""Small synthetic samples shared by the augmentation tests."""

from __future__ import annotations

import numpy as np
import pytest
import torch


def phantom(shape: tuple[int, ...], seed: int = 0) -> dict:
    """Nested ellipsoids: label 0 outside, 1..3 inwards; image = tissue mean + texture."""
    rng = np.random.default_rng(seed)
    axes = np.meshgrid(*[np.linspace(-1, 1, n) for n in shape], indexing="ij")
    radii = [0.9, 0.75, 0.55, 0.6][: len(shape)]
    r = np.sqrt(sum((a / rr) ** 2 for a, rr in zip(axes, radii)))
    label = np.zeros(shape, dtype=np.int64)
    label[r < 0.95] = 1
    label[r < 0.7] = 2
    label[(r < 0.35) | ((axes[0] > 0.3) & (r < 0.6))] = 3
    means = np.array([0.0, 0.3, 0.6, 0.9])
    image = means[label] + 0.05 * rng.standard_normal(shape) + 0.1 * axes[1]
    return {
        "image": torch.as_tensor(image[None], dtype=torch.float32),
        "label": torch.as_tensor(label),
    }


SHAPES = {2: (24, 28), 3: (14, 16, 12)}


@pytest.fixture(params=[2, 3], ids=["2d", "3d"])
def sample(request) -> dict:
    return phantom(SHAPES[request.param])


@pytest.fixture
def sample2d() -> dict:
    return phantom(SHAPES[2])


@pytest.fixture
def sample3d() -> dict:
    return phantom(SHAPES[3])
