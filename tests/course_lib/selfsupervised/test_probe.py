"""Tests for course_lib.selfsupervised.probe: probe, fine-tuning, per-subject AUC."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from course_lib.selfsupervised.contrastive import SmallEncoder
from course_lib.selfsupervised.probe import (
    encode,
    fine_tune,
    linear_probe,
    per_subject_auc,
    predict,
)


def _bright_square_data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 1, 16, 16)).astype(np.float32)
    y = np.arange(n) % 2
    x[y == 1, :, 4:10, 4:10] += 3.0
    return x, y


def test_linear_probe_separates_separable_features_and_rejects_one_class():
    rng = np.random.default_rng(0)
    y = np.arange(40) % 2
    f = rng.normal(size=(40, 5)) + 2.0 * y[:, None]
    probability = linear_probe(f, y)(f)
    assert roc_auc_score(y, probability) > 0.95
    with pytest.raises(ValueError, match="both classes"):
        linear_probe(f, np.zeros(40))


def test_fine_tune_learns_and_leaves_the_encoder_untouched():
    x, y = _bright_square_data()
    torch.manual_seed(0)
    encoder = SmallEncoder(1, 4)
    before = [p.detach().clone() for p in encoder.parameters()]
    model = fine_tune(encoder, x, y, steps=40, lr=1e-2, batch_size=8)
    assert all(torch.equal(a, b) for a, b in zip(before, encoder.parameters()))
    test_x, test_y = _bright_square_data(seed=1)
    assert roc_auc_score(test_y, predict(model, test_x)) > 0.9
    assert encode(encoder, x).shape == (40, 16)


def test_per_subject_auc_matches_sklearn_and_names_one_class_subjects():
    scores = np.array([0.1, 0.9, 0.4, 0.3, 0.8, 0.2])
    labels = np.array([0, 1, 1, 0, 1, 0])
    subject = np.array([0, 0, 0, 1, 1, 1])
    expected = [roc_auc_score(labels[:3], scores[:3]), roc_auc_score(labels[3:], scores[3:])]
    assert np.allclose(per_subject_auc(scores, labels, subject), expected)
    with pytest.raises(ValueError, match="one class"):
        per_subject_auc(scores, np.array([0, 0, 0, 0, 1, 0]), subject)
