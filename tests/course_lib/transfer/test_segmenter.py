"""Tests for course_lib.transfer.segmenter: loss, whole-volume segmentation, metrics."""

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.transfer.data import prepare_volume
from course_lib.transfer.segmenter import dice_bce_loss, evaluate_segmenter, segment_volume


def test_dice_bce_loss_prefers_the_right_answer():
    target = torch.zeros(2, 1, 8, 8)
    target[:, :, 2:5, 2:5] = 1
    good = dice_bce_loss(torch.where(target > 0, 8.0, -8.0), target)
    bad = dice_bce_loss(torch.where(target > 0, -8.0, 8.0), target)
    assert float(good) < 0.01 < 1.0 < float(bad)
    logits = torch.randn(2, 1, 8, 8)
    p = torch.sigmoid(logits)
    expected = (
        nn.functional.binary_cross_entropy(p, target)
        + 1
        - (2 * (p * target).sum() + 1) / (p.sum() + target.sum() + 1)
    )
    assert float(dice_bce_loss(logits, target)) == pytest.approx(float(expected), rel=1e-5)


class _Threshold(nn.Module):
    """Logit = FLAIR channel - 2 (z-score units): a known segmentation rule."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x[:, 1:2] - 2.0 + 0 * self.dummy


def test_segment_volume_places_slices_back_on_the_full_grid(fake_subject):
    subject = fake_subject()
    v = prepare_volume(subject)
    pred = segment_volume(_Threshold(), v, batch_size=3)
    assert pred.shape == subject.shape
    np.testing.assert_array_equal(pred, subject.lesion_mask)
    scores = evaluate_segmenter(_Threshold(), [v], spacing=2.0)
    assert scores["dice"] == [1.0] and scores["hd95"] == [0.0]


class _Nothing(nn.Module):
    """Predicts no lesion anywhere."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return torch.full_like(x[:, :1], -10.0) + 0 * self.dummy


def test_an_empty_prediction_scores_the_image_diagonal(fake_subject):
    from course_lib.metrics import image_diagonal

    subject = fake_subject()
    scores = evaluate_segmenter(_Nothing(), [prepare_volume(subject)], spacing=2.0)
    assert scores["dice"] == [0.0] and scores["sensitivity"] == [0.0]
    assert scores["hd95"] == [pytest.approx(image_diagonal(subject.shape, 2.0))]
