import numpy as np
import pytest
import torch

from course_lib.core.seeding import seed_everything


def _tiny_training_run(seed: int) -> list[float]:
    generator = seed_everything(seed)
    x = torch.randn(64, 5)
    y = (x[:, 0] > 0).long()
    model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, y), batch_size=16, shuffle=True, generator=generator
    )
    losses = []
    for _ in range(3):
        for xb, yb in loader:
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    losses.append(float(np.random.rand()))
    return losses


def test_two_runs_give_identical_losses():
    assert _tiny_training_run(3) == _tiny_training_run(3)


def test_different_seeds_differ():
    assert _tiny_training_run(3) != _tiny_training_run(4)


def test_returns_seeded_generator():
    a = torch.rand(3, generator=seed_everything(7))
    b = torch.rand(3, generator=seed_everything(7))
    assert torch.equal(a, b)


def test_deterministic_mode_without_nan_filling():
    seed_everything(0)
    assert torch.are_deterministic_algorithms_enabled()
    assert torch.utils.deterministic.fill_uninitialized_memory is False


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_rejects_bad_seed(bad):
    with pytest.raises(ValueError, match="seed"):
        seed_everything(bad)
