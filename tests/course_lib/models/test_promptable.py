"""Tests for course_lib.models.promptable."""

import pytest
import torch

from course_lib.core.losses import dice_ce_loss
from course_lib.models.promptable import PromptableSegmenter


def test_shapes_and_config():
    model = PromptableSegmenter(1, (4, 8))
    x = PromptableSegmenter.stack(torch.zeros(3, 1, 16, 16), torch.ones(3, 1, 16, 16))
    assert x.shape == (3, 2, 16, 16)
    assert model(x).shape == (3, 2, 16, 16)
    assert model.config == {"image_channels": 1, "channels": (4, 8), "norm": "batch"}


def test_bad_inputs_name_the_fix():
    model = PromptableSegmenter(1, (4, 8))
    with pytest.raises(ValueError, match="stack"):
        model(torch.zeros(2, 1, 16, 16))
    with pytest.raises(ValueError, match="prompts"):
        PromptableSegmenter.stack(torch.zeros(2, 1, 8, 8), torch.zeros(2, 2, 8, 8))
    with pytest.raises(ValueError, match="image_channels"):
        PromptableSegmenter(0)


def test_the_prompt_decides_what_is_segmented():
    """Two bright squares per image; the box says which one. A tiny model learns to follow it."""
    torch.manual_seed(0)
    n, s = 32, 16
    images = torch.zeros(n, 1, s, s)
    images[:, :, 2:6, 2:6] = 1.0
    images[:, :, 10:14, 10:14] = 1.0
    prompts, targets = torch.zeros(n, 1, s, s), torch.zeros(n, s, s, dtype=torch.long)
    for i in range(n):
        r = 1 if i % 2 else 9
        prompts[i, :, r : r + 6, r : r + 6] = 1.0
        targets[i, r + 1 : r + 5, r + 1 : r + 5] = 1
    x = PromptableSegmenter.stack(images, prompts)
    model = PromptableSegmenter(1, (8, 16))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(150):
        optimizer.zero_grad()
        loss = dice_ce_loss(model(x), targets)
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        predicted = model(x).argmax(1)
    assert (predicted == targets).float().mean() > 0.98
    # the same images with the prompts swapped give the other square
    swapped = PromptableSegmenter.stack(images, prompts.roll(1, dims=0))
    with torch.no_grad():
        assert (model(swapped).argmax(1) == targets.roll(1, dims=0)).float().mean() > 0.98
