"""Tests of course_lib.federated.comparison (chapter 11b's fair comparison of settings)."""

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.core.gates import GateFailed, check_gate, negative_control
from course_lib.federated.comparison import dice_table, train_fedavg, train_pooled, validation_dice
from course_lib.federated.experiment import CenterVoxels, dice_by_subject
from course_lib.models import MLP


def synthetic_center(
    name: str, shift: float, n_subjects: int = 2, n: int = 300, seed: int = 0
) -> CenterVoxels:
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
    last = train_pooled(
        model_fn, TRAIN["a"], VAL, checks=6, epochs_per_check=1, select="last", **COMMON
    )
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
    negative_control(
        "the untrained model against itself",
        lambda: check_gate("untrained - untrained Dice", untrained.mean() - untrained.mean(), 0.2),
    )
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


def test_choose_check_prefers_the_earliest_near_best_checkpoint():
    from course_lib.federated.comparison import choose_check

    curve = [0.70, 0.80, 0.795, 0.81, 0.805]
    assert choose_check(curve) == 4  # the best
    assert choose_check(curve, tolerance=0.01) == 2  # earliest within 0.01 of 0.81
    assert choose_check(curve, tolerance=0.2) == 1
    assert choose_check([0.5, 0.5]) == 1  # ties: the earlier
    # a last-digit change of a near-tied later checkpoint does not move the choice
    assert (
        choose_check([0.70, 0.8292, 0.81, 0.8297], 0.01)
        == choose_check([0.70, 0.8292, 0.81, 0.8285], 0.01)
        == 2
    )
    with pytest.raises(ValueError, match="tolerance"):
        choose_check(curve, tolerance=-0.1)
    with pytest.raises(ValueError, match="non-empty"):
        choose_check([])


def test_tolerance_selects_the_same_checkpoint_as_choose_check():
    from course_lib.federated.comparison import choose_check

    run = train_pooled(
        model_fn, TRAIN["a"], VAL, checks=6, epochs_per_check=1, tolerance=0.02, **COMMON
    )
    assert run.chosen_check == choose_check(run.validation_curve, 0.02)
    assert validation_dice(run.model, VAL) == pytest.approx(
        run.validation_curve[run.chosen_check - 1]
    )


def test_cosine_learning_rate_per_check():
    from course_lib.federated.comparison import check_learning_rate

    assert [check_learning_rate(0.1, c, 4) for c in (1, 4)] == [0.1, 0.1]  # constant
    cosine = [check_learning_rate(0.1, c, 4, "cosine") for c in (1, 2, 3, 4)]
    assert cosine[0] == pytest.approx(0.1) and cosine[2] == pytest.approx(0.05)
    assert all(a > b > 0 for a, b in zip(cosine, cosine[1:]))
    with pytest.raises(ValueError, match="schedule"):
        check_learning_rate(0.1, 1, 4, "step")
    with pytest.raises(ValueError, match="schedule"):
        train_fedavg(model_fn, TRAIN, VAL, rounds=1, local_epochs=1, schedule="linear", **COMMON)


def test_pooled_cosine_schedule_matches_a_hand_written_loop():
    """train_pooled with schedule="cosine" = SGD whose lr is set before each check."""
    import math

    from course_lib.federated.experiment import VoxelBatches

    run = train_pooled(
        model_fn,
        TRAIN["a"],
        VAL,
        checks=3,
        epochs_per_check=1,
        select="last",
        schedule="cosine",
        **COMMON,
    )
    torch.manual_seed(COMMON["seed"])
    model = model_fn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    batches = VoxelBatches(TRAIN["a"], 64, torch.Generator().manual_seed(COMMON["seed"]))
    for check in range(3):
        for group in optimizer.param_groups:
            group["lr"] = 0.05 * 0.5 * (1 + math.cos(math.pi * check / 3))
        for x, y in batches:
            optimizer.zero_grad()
            COMMON["loss_fn"](model(x), y).backward()
            optimizer.step()
    for name, tensor in model.state_dict().items():
        torch.testing.assert_close(run.model.state_dict()[name], tensor)
