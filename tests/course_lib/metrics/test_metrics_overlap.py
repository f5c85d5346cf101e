"""Tests of course_lib.metrics.overlap against sklearn, SimpleITK and hand counts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from sklearn import metrics as skm

from course_lib.metrics import dice, multiclass_dice, precision, recall, sensitivity, specificity
from course_lib.metrics.overlap import confusion_counts, jaccard, per_label


def _blob(shape, seed, quantile=0.7):
    rng = np.random.default_rng(seed)
    x = ndimage.gaussian_filter(rng.random(shape), 2)
    return x > np.quantile(x, quantile)


CASES = [
    pytest.param(_blob((40, 50), 0), _blob((40, 50), 1), id="2d-blobs"),
    pytest.param(_blob((16, 20, 12), 2), _blob((16, 20, 12), 3), id="3d-blobs"),
    pytest.param(
        np.random.default_rng(4).random((9, 11, 7)) < 0.2,
        np.random.default_rng(5).random((9, 11, 7)) < 0.3,
        id="3d-salt",
    ),
]


def test_hand_counted_case():
    pred = np.array([[1, 1, 0, 0], [1, 0, 0, 0]])
    truth = np.array([[1, 0, 1, 0], [1, 0, 0, 0]])
    assert confusion_counts(pred, truth) == (2, 1, 1, 4)
    assert dice(pred, truth) == pytest.approx(4 / 6)
    assert jaccard(pred, truth) == pytest.approx(2 / 4)
    assert precision(pred, truth) == pytest.approx(2 / 3)
    assert sensitivity(pred, truth) == pytest.approx(2 / 3)
    assert specificity(pred, truth) == pytest.approx(4 / 5)


@pytest.mark.parametrize("pred, truth", CASES)
def test_against_sklearn(pred, truth):
    p, t = pred.ravel(), truth.ravel()
    assert dice(pred, truth) == pytest.approx(skm.f1_score(t, p))
    assert jaccard(pred, truth) == pytest.approx(skm.jaccard_score(t, p))
    assert precision(pred, truth) == pytest.approx(skm.precision_score(t, p))
    assert sensitivity(pred, truth) == pytest.approx(skm.recall_score(t, p))
    assert recall is sensitivity
    # specificity is the recall of the background class
    assert specificity(pred, truth) == pytest.approx(skm.recall_score(t, p, pos_label=0))


@pytest.mark.parametrize("pred, truth", CASES)
def test_against_simpleitk_label_overlap(pred, truth):
    sitk = pytest.importorskip("SimpleITK")
    f = sitk.LabelOverlapMeasuresImageFilter()
    # ITK: source = first input (prediction), target = second (reference).
    f.Execute(
        sitk.GetImageFromArray(pred.astype(np.uint8)),
        sitk.GetImageFromArray(truth.astype(np.uint8)),
    )
    assert dice(pred, truth) == pytest.approx(f.GetDiceCoefficient())
    assert jaccard(pred, truth) == pytest.approx(f.GetJaccardCoefficient())
    assert sensitivity(pred, truth) == pytest.approx(1 - f.GetFalseNegativeError())
    assert precision(pred, truth) == pytest.approx(1 - f.GetFalseDiscoveryRate())
    # ITK's "false positive error" is FP / (truth negatives) = 1 - specificity.
    assert specificity(pred, truth) == pytest.approx(1 - f.GetFalsePositiveError())


def test_dice_jaccard_relation():
    a, b = _blob((30, 30), 7), _blob((30, 30), 8)
    d = dice(a, b)
    assert jaccard(a, b) == pytest.approx(d / (2 - d))


def test_empty_masks():
    empty = np.zeros((5, 6, 7), bool)
    one = empty.copy()
    one[2, 3, 4] = True
    for metric in (dice, jaccard, precision, sensitivity, specificity):
        assert metric(empty, empty) == 1.0
        assert metric(one, one) == 1.0
    assert dice(one, empty) == dice(empty, one) == 0.0
    assert jaccard(one, empty) == 0.0
    assert precision(empty, one) == 0.0  # nothing predicted
    assert sensitivity(one, empty) == 0.0  # nothing to find
    assert specificity(empty, one) == 1.0  # ordinary: no false positive
    assert np.isnan(precision(empty, one, zero_division=np.nan))
    assert np.isnan(sensitivity(one, empty, zero_division=np.nan))
    full = np.ones((3, 3), bool)
    assert specificity(full, full) == 1.0
    assert specificity(full & False, full) == 0.0


def test_single_voxel_shift():
    a = np.zeros((4, 4), bool)
    b = a.copy()
    a[1, 1] = True
    b[1, 2] = True
    assert dice(a, b) == 0.0
    assert specificity(a, b) == pytest.approx(14 / 15)


def test_accepts_torch_and_numbers():
    torch = pytest.importorskip("torch")
    a, b = _blob((20, 20), 9), _blob((20, 20), 10)
    expected = dice(a, b)
    assert dice(torch.from_numpy(a), torch.from_numpy(b).float()) == pytest.approx(expected)
    assert dice(a.astype(np.uint8), b.astype(np.float32)) == pytest.approx(expected)


def test_errors_name_the_argument():
    a = np.zeros((4, 4))
    with pytest.raises(ValueError, match="`pred` and `truth` must have the same shape"):
        dice(a, np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"`truth` must be a binary mask.*truth > 0.5"):
        dice(a, a + 0.3)
    with pytest.raises(ValueError, match="scalar"):
        dice(np.array(1), np.array(1))


def test_multiclass_dice_matches_per_class_binary():
    rng = np.random.default_rng(11)
    truth = rng.integers(0, 4, size=(12, 14, 10))
    pred = np.where(rng.random(truth.shape) < 0.8, truth, rng.integers(0, 4, truth.shape))
    pred[pred == 3] = 5  # a label missing from the truth
    scores = multiclass_dice(pred, truth)
    assert list(scores) == [1, 2, 3, 5]  # background 0 left out, union of labels
    for k, v in scores.items():
        assert v == pytest.approx(dice(pred == k, truth == k))
    assert scores[3] == 0.0 and scores[5] == 0.0
    # per-class Dice equals sklearn's per-label F1
    f1 = skm.f1_score(truth.ravel(), pred.ravel(), labels=[1, 2], average=None)
    assert [scores[1], scores[2]] == pytest.approx(list(f1))
    assert multiclass_dice(pred, truth, labels=[7]) == {7: 1.0}
    assert 0 in multiclass_dice(pred, truth, include_background=True)
    assert per_label(sensitivity, pred, truth, labels=[1])[1] == pytest.approx(
        sensitivity(pred == 1, truth == 1)
    )
