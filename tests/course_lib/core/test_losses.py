"""Tests of course_lib.core.losses: the library loss equals chapter 04's from-scratch one."""

from pathlib import Path

import nbformat
import pytest
import torch

from course_lib.core.losses import dice_ce_loss

NOTEBOOK = Path(__file__).resolve().parents[3] / "notebooks" / "04_unet_segmentation.ipynb"


def notebook_loss():
    cells = [
        c
        for c in nbformat.read(NOTEBOOK, as_version=4).cells
        if c.cell_type == "code" and "def dice_ce_loss" in c.source
    ]
    assert len(cells) == 1
    source = cells[0].source
    start = source.index("def dice_ce_loss")
    end = source.index("\n\n\n", start) if "\n\n\n" in source[start:] else len(source)
    namespace = {"torch": torch, "F": torch.nn.functional}
    exec(source[start:end], namespace)
    return namespace["dice_ce_loss"]


@pytest.mark.parametrize("shape", [(2, 4, 8, 9), (1, 3, 5, 6, 7)])
def test_equals_chapter_04(shape):
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(shape, generator=g)
    target = torch.randint(shape[1], (shape[0], *shape[2:]), generator=g)
    assert torch.allclose(dice_ce_loss(logits, target), notebook_loss()(logits, target))


def test_perfect_prediction_leaves_little_loss_and_wrong_one_much():
    target = torch.randint(3, (2, 6, 6), generator=torch.Generator().manual_seed(1))
    perfect = 50.0 * torch.nn.functional.one_hot(target, 3).movedim(-1, 1).float()
    wrong = 50.0 * torch.nn.functional.one_hot((target + 1) % 3, 3).movedim(-1, 1).float()
    assert dice_ce_loss(perfect, target) < 0.05
    assert dice_ce_loss(wrong, target) > 1.5


def test_bad_shapes_are_explained():
    with pytest.raises(ValueError, match=r"\(B, K, \*S\)"):
        dice_ce_loss(torch.zeros(2, 3, 4, 4), torch.zeros(2, 5, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="at least 2 classes"):
        dice_ce_loss(torch.zeros(2, 1, 4, 4), torch.zeros(2, 4, 4, dtype=torch.long))
