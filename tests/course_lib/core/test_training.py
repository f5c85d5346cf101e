import pytest
import torch

from course_lib.core.seeding import seed_everything
from course_lib.core.training import evaluate, fit


def _problem(n=256):
    generator = seed_everything(0)
    x = torch.randn(n, 4)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long()
    data = torch.utils.data.TensorDataset(x, y)
    loader = torch.utils.data.DataLoader(data, batch_size=32, shuffle=True, generator=generator)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    return model, loader


def _accuracy(outputs, targets):
    return (outputs.argmax(1) == targets).float().mean()


def test_fit_reduces_loss_and_records_history():
    model, loader = _problem()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    before = evaluate(model, loader, torch.nn.functional.cross_entropy)["loss"]
    history = fit(
        model,
        loader,
        loader,
        torch.nn.functional.cross_entropy,
        optimizer,
        epochs=5,
        metrics={"accuracy": _accuracy},
        device=torch.device("cpu"),
        progress=False,
    )
    assert len(history) == 5
    assert set(history.history) == {"loss", "val_loss", "val_accuracy"}
    assert history["val_loss"][-1] < 0.5 * before
    assert history["val_accuracy"][-1] > 0.9


def test_fit_accepts_dict_batches():
    x, y = torch.randn(32, 4), torch.randint(0, 2, (32,))
    loader = [{"image": x[i : i + 8], "label": y[i : i + 8]} for i in range(0, 32, 8)]
    model = torch.nn.Linear(4, 2)
    history = fit(
        model,
        loader,
        None,
        torch.nn.functional.cross_entropy,
        torch.optim.SGD(model.parameters(), lr=0.1),
        epochs=2,
        progress=False,
        device=torch.device("cpu"),
    )
    assert list(history.history) == ["loss"]


def test_fit_rejects_zero_epochs_and_empty_loader():
    model, loader = _problem()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, loader, None, torch.nn.functional.cross_entropy, optimizer, epochs=0)
    with pytest.raises(ValueError, match="empty"):
        fit(
            model,
            [],
            None,
            torch.nn.functional.cross_entropy,
            optimizer,
            epochs=1,
            progress=False,
            device=torch.device("cpu"),
        )


def test_fit_is_reproducible():
    runs = []
    for _ in range(2):
        model, loader = _problem()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        runs.append(
            fit(
                model,
                loader,
                None,
                torch.nn.functional.cross_entropy,
                optimizer,
                epochs=2,
                progress=False,
                device=torch.device("cpu"),
            )["loss"]
        )
    assert runs[0] == runs[1]
