"""Tests of course_lib.federated.experiment (chapter 11b's per-center voxel data and Dice)."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.federated import run_fedavg
from course_lib.federated.experiment import (
    LESION_BOX_MM,
    CenterVoxels,
    VoxelBatches,
    box_mask,
    dice_by_subject,
    evaluation_voxels,
    feature_names,
    make_clients,
    pool_voxels,
    training_voxels,
    voxel_features,
)
from course_lib.models import MLP
from course_lib.simulation.datasets import normalize_subject

SHAPE = (12, 10, 8)
BOX = {"x": (-6.0, 8.0), "y": (-8.0, 6.0), "z": (-6.0, 4.0)}


def fake_subject(seed: int, center: str = "c1", spacing: float = 2.0):
    """A Subject-like object: two contrasts, a brain mask and a few lesion voxels."""
    rng = np.random.default_rng(seed)
    affine = np.diag([spacing, spacing, spacing, 1.0])
    affine[:3, 3] = [-10.0, -10.0, -8.0]
    brain = np.zeros(SHAPE, bool)
    brain[1:-1, 1:-1, 1:-1] = True
    lesion = np.zeros(SHAPE, bool)
    lesion[5:7, 4:6, 3:5] = True
    t1 = rng.normal(100.0, 5.0, SHAPE).astype(np.float32)
    flair = rng.normal(50.0, 5.0, SHAPE).astype(np.float32) + 40.0 * lesion
    return SimpleNamespace(
        images={"T1w": t1, "FLAIR": flair},
        brain_mask=brain,
        lesion_mask=lesion,
        affine=affine,
        shape=SHAPE,
        center=center,
        seed=seed,
    )


def world_inside(affine, shape, box):
    """Reference: explicit loop over voxels."""
    out = np.zeros(shape, bool)
    for index in np.ndindex(*shape):
        x, y, z = (affine @ np.array([*index, 1.0]))[:3]
        out[index] = (
            box["x"][0] <= x < box["x"][1]
            and box["y"][0] <= y < box["y"][1]
            and box["z"][0] <= z < box["z"][1]
        )
    return out


def test_box_mask_matches_explicit_world_coordinates():
    subject = fake_subject(0)
    np.testing.assert_array_equal(
        box_mask(subject.affine, SHAPE, BOX), world_inside(subject.affine, SHAPE, BOX)
    )


def test_default_box_on_the_2mm_icbm152_grid_is_64_by_80_by_38():
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    affine[:3, 3] = [-98.0, -134.0, -72.0]  # nilearn's MNI152 2 mm grid, shape 99 x 117 x 95
    mask = box_mask(affine, (99, 117, 95), LESION_BOX_MM)
    spans = [
        int(np.ptp(np.flatnonzero(mask.any(axis=tuple(a for a in range(3) if a != k))))) + 1
        for k in range(3)
    ]
    assert spans == [64, 80, 38] and mask.sum() == 64 * 80 * 38


@pytest.mark.parametrize("bad", [{"x": (0, 1)}, {"x": (0, 1), "y": (0, 1), "w": (0, 1)}])
def test_box_mask_rejects_wrong_keys(bad):
    with pytest.raises(ValueError, match="box_mm"):
        box_mask(np.eye(4), SHAPE, bad)


@pytest.mark.parametrize("spacing, windows", [(2.0, (3, 7)), (1.0, (7, 15))])
def test_voxel_features_are_zscores_and_local_cube_means(spacing, windows):
    subject = fake_subject(1, spacing=spacing)
    features = voxel_features(subject)
    assert features.shape == (6,) + SHAPE and features.dtype == np.float32
    assert len(feature_names()) == 6
    z = normalize_subject(subject, ("T1w", "FLAIR"))
    np.testing.assert_allclose(features[0], z[0], rtol=1e-6)
    np.testing.assert_allclose(features[3], z[1], rtol=1e-6)
    # independent reference of the first local mean at an interior voxel (explicit cube)
    i, j, k = 6, 5, 4
    h = windows[0] // 2
    cube = z[1, i - h : i + h + 1, j - h : j + h + 1, k - h : k + h + 1]
    assert features[4, i, j, k] == pytest.approx(float(cube.mean()), rel=1e-5)


def test_training_voxels_keep_every_lesion_voxel_and_sample_background():
    subjects = [fake_subject(s) for s in range(3)]
    data = training_voxels(subjects, n_background=20, border_width=0, seed=0, box_mm=BOX)
    region = subjects[0].brain_mask & box_mask(subjects[0].affine, SHAPE, BOX)
    n_lesion = int((subjects[0].lesion_mask & region).sum())
    assert n_lesion > 0
    assert len(data) == 3 * (n_lesion + 20)
    assert data.n_subjects == 3 and data.center == "c1"
    for k in range(3):
        assert int(data.labels[data.subject == k].sum()) == n_lesion
    # the lesion rows are exactly the features at the lesion voxels
    expected = voxel_features(subjects[0])[:, subjects[0].lesion_mask & region].T
    first = data.features[(data.subject == 0) & (data.labels == 1)].numpy()
    np.testing.assert_allclose(np.sort(first, axis=0), np.sort(expected, axis=0))
    again = training_voxels(subjects, n_background=20, border_width=0, seed=0, box_mm=BOX)
    assert torch.equal(data.features, again.features)
    other = training_voxels(subjects, n_background=20, border_width=0, seed=1, box_mm=BOX)
    assert not torch.equal(data.features, other.features)


def test_training_voxels_include_the_lesion_border():
    subject = fake_subject(0)
    region = subject.brain_mask & box_mask(subject.affine, SHAPE, BOX)
    lesion = subject.lesion_mask & region
    # reference border: 6-neighbours of a lesion voxel that are not lesion (explicit loop)
    border = np.zeros(SHAPE, bool)
    for i, j, k in np.argwhere(lesion):
        for di, dj, dk in ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)):
            border[i + di, j + dj, k + dk] = True
    border &= region & ~lesion
    data = training_voxels([subject], n_background=0, border_width=1, box_mm=BOX)
    assert int(data.labels.sum()) == int(lesion.sum())
    assert int((data.labels == 0).sum()) == int(border.sum())
    expected = voxel_features(subject)[:, border].T
    got = data.features[data.labels == 0].numpy()
    np.testing.assert_allclose(np.sort(got, axis=0), np.sort(expected, axis=0))
    with pytest.raises(ValueError, match="border_width"):
        training_voxels([subject], n_background=0, border_width=-1, box_mm=BOX)


def test_training_voxels_take_all_background_when_fewer_exist():
    subject = fake_subject(0)
    region = subject.brain_mask & box_mask(subject.affine, SHAPE, BOX)
    data = training_voxels([subject], n_background=10**6, box_mm=BOX)
    assert len(data) == int(region.sum())


def test_evaluation_voxels_cover_the_region():
    subjects = [fake_subject(0), fake_subject(1)]
    data = evaluation_voxels(subjects, box_mm=BOX, center="test")
    region = subjects[0].brain_mask & box_mask(subjects[0].affine, SHAPE, BOX)
    assert len(data) == 2 * int(region.sum()) and data.center == "test"
    assert int(data.labels.sum()) == 2 * int((subjects[0].lesion_mask & region).sum())


def test_empty_inputs_and_bad_arguments_raise():
    with pytest.raises(ValueError, match="subjects is empty"):
        training_voxels([], n_background=5)
    with pytest.raises(ValueError, match="subjects is empty"):
        evaluation_voxels([])
    with pytest.raises(ValueError, match="n_background"):
        training_voxels([fake_subject(0)], n_background=-1)
    with pytest.raises(ValueError, match="parts is empty"):
        pool_voxels([])
    data = evaluation_voxels([fake_subject(0)], box_mm=BOX)
    with pytest.raises(ValueError, match="batch_size"):
        VoxelBatches(data, 0)
    with pytest.raises(ValueError, match="train_sets is empty"):
        make_clients(lambda: MLP(6, 2), {}, batch_size=4, local_epochs=1, lr=0.1)


def test_pool_voxels_keeps_subjects_distinct():
    a = evaluation_voxels([fake_subject(0), fake_subject(1)], box_mm=BOX, center="a")
    b = evaluation_voxels([fake_subject(2)], box_mm=BOX, center="b")
    pooled = pool_voxels([a, b])
    assert len(pooled) == len(a) + len(b) and pooled.n_subjects == 3 and pooled.center == "pooled"


def test_voxel_batches_visit_every_voxel_once_per_pass_reproducibly():
    data = evaluation_voxels([fake_subject(0)], box_mm=BOX)
    batches = VoxelBatches(data, 7, torch.Generator().manual_seed(3))
    first = torch.cat([x for x, _ in batches])
    second = torch.cat([x for x, _ in batches])
    assert len(batches) == -(-len(data) // 7)
    assert first.shape == data.features.shape
    key = lambda t: np.sort(t.numpy(), axis=0)  # noqa: E731
    np.testing.assert_array_equal(key(first), key(data.features))
    assert not torch.equal(first, second)  # a new permutation each pass
    replay = VoxelBatches(data, 7, torch.Generator().manual_seed(3))
    assert torch.equal(first, torch.cat([x for x, _ in replay]))


class ThresholdModel(nn.Module):
    """Predicts lesion when the FLAIR z-score (column 3) exceeds a threshold."""

    def __init__(self, threshold):
        super().__init__()
        self.threshold = nn.Parameter(torch.tensor(float(threshold)))

    def forward(self, x):
        score = x[:, 3] - self.threshold
        return torch.stack([-score, score], dim=1)


def reference_dice(pred, truth):
    pred, truth = np.asarray(pred, bool), np.asarray(truth, bool)
    denominator = pred.sum() + truth.sum()
    return 1.0 if denominator == 0 else 2.0 * (pred & truth).sum() / denominator


def test_dice_by_subject_matches_a_numpy_reference():
    data = evaluation_voxels([fake_subject(0), fake_subject(1)], box_mm=BOX)
    for threshold in (-10.0, 1.0, 2.5, 100.0):
        scores = dice_by_subject(ThresholdModel(threshold), data, batch_size=50)
        for k, score in enumerate(scores):
            rows = data.subject == k
            pred = data.features[rows, 3] > threshold
            assert score == pytest.approx(reference_dice(pred, data.labels[rows]))
    assert dice_by_subject(ThresholdModel(100.0), data).tolist() == [0.0, 0.0]


def test_dice_by_subject_restores_training_mode():
    model = MLP(6, 2, hidden=(4,))
    model.train()
    dice_by_subject(model, evaluation_voxels([fake_subject(0)], box_mm=BOX))
    assert model.training


def _federation(seed):
    train = {
        name: training_voxels([fake_subject(s, center=name)], n_background=30, box_mm=BOX)
        for s, name in enumerate(("a", "b"))
    }

    def model_fn():
        torch.manual_seed(0)
        return MLP(6, 2, hidden=(8,))

    clients = make_clients(
        model_fn, train, batch_size=16, local_epochs=1, lr=0.1, seed=seed, device="cpu"
    )
    model = model_fn()
    run_fedavg(clients, model, 2)
    return train, clients, model


def test_make_clients_names_weights_and_reproducible_training():
    train, clients, model = _federation(seed=0)
    assert [c.name for c in clients] == ["a", "b"]
    assert [c.n_samples for c in clients] == [len(train["a"]), len(train["b"])]
    torch.manual_seed(0)
    initial = MLP(6, 2, hidden=(8,))
    assert not torch.equal(model.net[0].weight, initial.net[0].weight)
    _, _, again = _federation(seed=0)
    assert all(
        torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values())
    )


def test_center_voxels_length():
    data = CenterVoxels(
        torch.zeros(5, 6), torch.zeros(5, dtype=torch.long), torch.tensor([0, 0, 1, 1, 1]), "x"
    )
    assert len(data) == 5 and data.n_subjects == 2
