"""Loss-threshold membership inference on synthetic losses, against scikit-learn's ROC."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from course_lib.privacy import dp_advantage_bound, dp_tpr_bound, membership_advantage, tpr_at_fpr


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


def test_errors():
    with pytest.raises(ValueError, match="at least one"):
        membership_advantage([], [1.0])
    with pytest.raises(ValueError, match="finite"):
        membership_advantage([np.nan], [1.0])


@pytest.mark.parametrize("seed", [0, 1])
def test_tpr_at_fpr_matches_sklearn_roc_curve(seed):
    rng = np.random.default_rng(seed)
    members, others = rng.gamma(2.0, 0.3, 500), rng.gamma(2.0, 0.5, 2000)  # no ties
    labels = np.r_[np.ones(members.size), np.zeros(others.size)]
    fpr, tpr, _ = roc_curve(labels, -np.r_[members, others], drop_intermediate=False)
    for target in (0.0, 0.001, 0.01, 0.1, 1.0):
        got_tpr, got_fpr = tpr_at_fpr(members, others, target)
        assert got_fpr <= target
        # the best TPR among the ROC points whose FPR is within the target
        assert got_tpr == pytest.approx(float(tpr[fpr <= target + 1e-12].max()), abs=1e-12)


def test_tpr_at_fpr_resolution_and_errors():
    # 10 non-members: 1 % cannot be measured, the attack then allows no false positive
    assert tpr_at_fpr([0.1, 0.2, 5.0], np.arange(1.0, 11.0), 0.01) == (2 / 3, 0.0)
    assert tpr_at_fpr([0.1, 0.2, 5.0], np.arange(1.0, 11.0), 0.1) == (2 / 3, 0.1)
    with pytest.raises(ValueError, match="max_fpr"):
        tpr_at_fpr([0.1], [0.2], 1.5)


def test_dp_bounds_closed_form_equals_the_maximum_over_fpr():
    grid = np.linspace(0.0, 1.0, 20_001)
    for epsilon, delta in ((0.1, 0.0), (np.log(2), 0.0), (1.0, 1e-5), (3.0, 1e-3), (8.0, 0.0)):
        bound = dp_advantage_bound(epsilon, delta)
        assert max(dp_tpr_bound(epsilon, delta, a) - a for a in grid) <= bound + 1e-12
        kink = (1 - delta) / (np.exp(epsilon) + 1)  # where the two TPR limits meet
        assert dp_tpr_bound(epsilon, delta, kink) - kink == pytest.approx(bound, abs=1e-12)
        assert dp_advantage_bound(epsilon, delta) <= np.expm1(epsilon) + 1e-12  # Yeom's bound
    assert dp_advantage_bound(np.log(2), 0.0) == pytest.approx(1 / 3)  # Yeom's says 1 here
    assert dp_tpr_bound(1.0, 1e-5, 0.01) == pytest.approx(np.e * 0.01 + 1e-5)
    assert dp_advantage_bound(np.inf, 0.0) == 1.0 and dp_tpr_bound(0.0, 0.0, 0.3) == 0.3
    with pytest.raises(ValueError, match="delta"):
        dp_advantage_bound(1.0, 1.0)


def test_randomized_response_attains_the_advantage_bound():
    """Randomized response (answer truthfully with probability e^eps / (1 + e^eps)) is
    eps-DP, and guessing "member" when it says so attains (e^eps - 1) / (e^eps + 1)."""
    rng = np.random.default_rng(0)
    for epsilon in (0.5, 1.0, 2.0):
        truthful = np.exp(epsilon) / (1 + np.exp(epsilon))
        n = 200_000
        says_member_if_member = rng.random(n) < truthful
        says_member_if_not = rng.random(n) >= truthful
        observed = says_member_if_member.mean() - says_member_if_not.mean()
        assert observed == pytest.approx(dp_advantage_bound(epsilon, 0.0), abs=0.01)
