"""Loss-threshold membership inference on synthetic losses, against scikit-learn's ROC."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score, roc_curve
from torch import nn

from course_lib.privacy import membership_advantage, per_sample_losses


def test_separated_losses_give_full_advantage():
    advantage, threshold, auc = membership_advantage([0.1, 0.2, 0.3], [1.0, 2.0])
    assert advantage == 1.0 and auc == 1.0
    assert 0.3 <= threshold < 1.0


def test_identical_distributions_give_no_advantage():
    rng = np.random.default_rng(0)
    members, others = rng.exponential(1.0, 4000), rng.exponential(1.0, 4000)
    advantage, _, auc = membership_advantage(members, others)
    assert advantage < 0.05 and abs(auc - 0.5) < 0.03


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_advantage_and_auc_match_sklearn_roc(seed):
    rng = np.random.default_rng(seed)
    members = rng.gamma(2.0, 0.3, 300).round(2)  # rounding creates ties
    others = rng.gamma(2.0, 0.5, 200).round(2)
    advantage, threshold, auc = membership_advantage(members, others)
    labels = np.r_[np.ones(members.size), np.zeros(others.size)]
    scores = -np.r_[members, others]
    fpr, tpr, _ = roc_curve(labels, scores)
    assert advantage == pytest.approx(float(np.max(tpr - fpr)), abs=1e-12)
    assert auc == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    tpr_t = np.mean(members <= threshold)
    fpr_t = np.mean(others <= threshold)
    assert tpr_t - fpr_t == pytest.approx(advantage, abs=1e-12)


def test_errors_and_per_sample_losses():
    with pytest.raises(ValueError, match="at least one"):
        membership_advantage([], [1.0])
    with pytest.raises(ValueError, match="finite"):
        membership_advantage([np.nan], [1.0])
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    x, y = torch.randn(10, 3), torch.randint(0, 2, (10,))
    losses = per_sample_losses(model, x, y, nn.CrossEntropyLoss(reduction="none"), batch_size=3)
    expected = nn.functional.cross_entropy(model(x), y, reduction="none").detach().numpy()
    np.testing.assert_allclose(losses, expected, rtol=1e-6)
    with pytest.raises(ValueError, match="reduction='none'"):
        per_sample_losses(model, x, y, nn.CrossEntropyLoss())
