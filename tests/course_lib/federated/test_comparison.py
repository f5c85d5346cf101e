"""Tests of course_lib.federated.comparison (chapter 11b's fair comparison of settings)."""
import numpy as np
import pytest
import torch
from torch import nn

from course_lib.core.gates import GateFailed, check_gate, negative_control
from course_lib.federated.comparison import (dice_table, train_fedavg, train_pooled,
                                             validation_dice)
from course_lib.federated.experiment import CenterVoxels, dice_by_subject
from course_lib.models import MLP


def synthetic_center(name: str, shift: float, n_subjects: int = 2, n: int = 300,
                     seed: int = 0) -> CenterVoxels:
    """Voxels whose label is 'feature 0 above the center's shift' (a per-center rule)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, (n_subjects * n, 3)).astype(np.float32)
    y = (x[:, 0] > shift).astype(np.int64)
    subject = np.repeat(np.arange(n_subjects), n)
    return CenterVoxels(torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(subject), name)


def model_fn():
    return MLP(3, 2, hidden=(8,))


TRAIN = {"a": synthetic_center("a", 0.0, seed=1), "b": synthetic_center("b", 0.3, seed=2)}
VAL = {"a": synthetic_center("a", 0.0, seed=3), "b": synthetic_center("b", 0.3, seed=4)}
TEST = {"a": synthetic_center("a", 0.0, seed=5), "b": synthetic_center("b", 0.3, seed=6)}
COMMON = dict(lr=0.05, batch_size=64, loss_fn=nn.CrossEntropyLoss(), seed=3)


def test_validation_choice_keeps_the_best_checkpoint_and_last_keeps_the_last():
    chosen = train_pooled(model_fn, TRAIN["a"], VAL, checks=6, epochs_per_check=1, **COMMON)
    curve = chosen.validation_curve
    assert len(curve) == 6 and chosen.chosen_check == int(np.argmax(curve)) + 1
    assert validation_dice(chosen.model, VAL) == pytest.approx(max(curve))
    last = train_pooled(model_fn, TRAIN["a"], VAL, checks=6, epochs_per_check=1,
                        select="last", **COMMON)
    assert last.validation_curve == curve and last.chosen_check == 6  # same seed, same run
    assert validation_dice(last.model, VAL) == pytest.approx(curve[-1])
    for name, tensor in last.model.state_dict().items():
        torch.testing.assert_close(tensor, chosen.last_state[name])


def test_every_setting_starts_from_the_seeds_initial_weights():
    seen = []

    def recording_model_fn():
        model = model_fn()
        seen.append({k: v.clone() for k, v in model.state_dict().items()})
        return model

    train_pooled(recording_model_fn, TRAIN["a"], VAL, checks=1, epochs_per_check=1, **COMMON)
    train_fedavg(recording_model_fn, TRAIN, VAL, rounds=1, local_epochs=1, **COMMON)
    first_pooled, first_federated = seen[0], seen[1]  # the global model is built first
    for name in first_pooled:
        torch.testing.assert_close(first_pooled[name], first_federated[name])


def test_fedavg_learns_and_the_gate_fails_on_its_control():
    """The chapter's kind of gate, with its negative control (no training round kept)."""
    fed = train_fedavg(model_fn, TRAIN, VAL, rounds=4, local_epochs=1, **COMMON)
    table = dice_table(fed.model, TEST)
    assert table.shape == (4,)
    np.testing.assert_allclose(table[:2], dice_by_subject(fed.model, TEST["a"]))
    torch.manual_seed(COMMON["seed"])
    untrained = dice_table(model_fn(), TEST)
    check_gate("FedAvg - untrained Dice", table.mean() - untrained.mean(), 0.2)
    negative_control("the untrained model against itself",
                     lambda: check_gate("untrained - untrained Dice",
                                        untrained.mean() - untrained.mean(), 0.2))
    with pytest.raises(GateFailed):
        check_gate("untrained - untrained Dice", 0.0, 0.2)


def test_argument_errors():
    with pytest.raises(ValueError, match="checks"):
        train_pooled(model_fn, TRAIN["a"], VAL, checks=0, epochs_per_check=1, **COMMON)
    with pytest.raises(ValueError, match="select"):
        train_fedavg(model_fn, TRAIN, VAL, rounds=1, local_epochs=1, select="best", **COMMON)
    with pytest.raises(ValueError, match="epochs_per_check"):
        train_pooled(model_fn, TRAIN["a"], VAL, checks=1, epochs_per_check=0, **COMMON)
    with pytest.raises(ValueError, match="val_sets is empty"):
        validation_dice(model_fn(), {})
