"""FedAvg / FedProx: the server sees only parameters, averages by sample count, learns."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_lib.federated import Client, ClientUpdate, FedAvgServer, UpdateRejected, run_fedavg


def _linear_update(weight: float, bias: float, n: int) -> ClientUpdate:
    return ClientUpdate(
        state={"weight": torch.full((1, 2), weight), "bias": torch.tensor([bias])}, n_samples=n
    )


def test_aggregation_is_the_sample_weighted_mean():
    server = FedAvgServer(nn.Linear(2, 1))
    new = server.aggregate([_linear_update(1.0, -2.0, 1), _linear_update(4.0, 2.0, 3)])
    # by hand: (1*1 + 3*4) / 4 = 3.25 ; (1*(-2) + 3*2) / 4 = 1.0
    assert torch.allclose(new["weight"], torch.full((1, 2), 3.25))
    assert torch.allclose(new["bias"], torch.tensor([1.0]))
    assert torch.allclose(server.global_model.weight, torch.full((1, 2), 3.25))
    assert server.rounds == 1


def test_aggregation_matches_numpy_on_a_conv_net_with_buffers():
    def make():
        return nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.Flatten(), nn.Linear(12, 2))

    torch.manual_seed(0)
    models = [make() for _ in range(3)]
    counts = [5, 10, 25]
    for m in models:  # make the BatchNorm statistics differ between sites
        m.train()(torch.randn(4, 1, 4, 4) * (1 + counts[models.index(m)]))
    updates = [ClientUpdate.from_model(m, n) for m, n in zip(models, counts)]
    server = FedAvgServer(make())
    new = server.aggregate(updates)
    for name in new:
        stack = np.stack([u.state[name].double().numpy() for u in updates])
        expected = np.tensordot(np.array(counts, float) / sum(counts), stack, axes=1)
        if new[name].dtype.is_floating_point:
            np.testing.assert_allclose(new[name].numpy(), expected, rtol=1e-6, atol=1e-7)
        else:  # num_batches_tracked: integer buffer, rounded mean
            assert int(new[name]) == int(round(float(expected)))


@pytest.mark.parametrize(
    "bad, message",
    [
        (
            {
                "weight": torch.zeros(1, 2),
                "bias": torch.zeros(1),
                "images": torch.zeros(8, 1, 32, 32),
            },
            "unknown \\['images'\\]",
        ),
        ({"weight": torch.zeros(8, 1, 32, 32), "bias": torch.zeros(1)}, "shape"),
        ({"weight": torch.zeros(1, 2)}, "missing \\['bias'\\]"),
        ({"weight": torch.zeros(1, 2, dtype=torch.long), "bias": torch.zeros(1)}, "floating-point"),
        ({"weight": torch.full((1, 2), float("nan")), "bias": torch.zeros(1)}, "NaN"),
    ],
)
def test_server_rejects_anything_but_the_model_parameters(bad, message):
    server = FedAvgServer(nn.Linear(2, 1))
    before = copy.deepcopy(server.global_model.state_dict())
    with pytest.raises(UpdateRejected, match=message):
        server.aggregate([_linear_update(1.0, 0.0, 4), ClientUpdate(state=bad, n_samples=4)])
    for name, tensor in server.global_model.state_dict().items():  # nothing was averaged
        assert torch.equal(tensor, before[name])


def test_client_update_refuses_data_objects_and_bad_counts():
    images = TensorDataset(torch.zeros(4, 1, 8, 8), torch.zeros(4))
    with pytest.raises(UpdateRejected, match="mapping"):
        ClientUpdate(state=images, n_samples=4)
    with pytest.raises(UpdateRejected, match="mapping"):
        ClientUpdate(state=DataLoader(images), n_samples=4)
    with pytest.raises(UpdateRejected, match="torch.Tensor"):
        ClientUpdate(state={"weight": np.zeros((1, 2))}, n_samples=4)
    with pytest.raises(UpdateRejected, match="torch.Tensor"):
        ClientUpdate(state={"weight": images}, n_samples=4)
    for count in (0, -3, 2.5, True):
        with pytest.raises(UpdateRejected, match="n_samples"):
            ClientUpdate(state={"weight": torch.zeros(1)}, n_samples=count)
    server = FedAvgServer(nn.Linear(2, 1))
    with pytest.raises(UpdateRejected, match="not a ClientUpdate"):
        server.aggregate([{"weight": torch.zeros(1, 2), "bias": torch.zeros(1)}])
    with pytest.raises(UpdateRejected, match="list of ClientUpdate"):
        server.aggregate(_linear_update(1.0, 0.0, 1))


def test_update_is_a_detached_cpu_copy():
    model = nn.Linear(2, 1)
    update = ClientUpdate.from_model(model, 3)
    with torch.no_grad():
        model.weight.add_(1.0)
    assert not torch.equal(update.state["weight"], model.weight)
    assert not update.state["weight"].requires_grad
    with pytest.raises(TypeError):
        update.state["weight"] = torch.zeros(1, 2)  # read-only mapping


def _regression_data(n, slope, offset, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g) + offset
    y = x @ torch.tensor([[slope], [-1.0]]) + 0.5 + 0.05 * torch.randn(n, 1, generator=g)
    return TensorDataset(x, y)


def test_fedavg_with_one_client_equals_local_training():
    torch.manual_seed(0)
    data = _regression_data(24, 2.0, 0.0, seed=1)
    loader = DataLoader(data, batch_size=8, shuffle=False)
    start = nn.Linear(2, 1)
    local = copy.deepcopy(start)
    optimizer = torch.optim.SGD(local.parameters(), lr=0.05)
    for _ in range(3 * 2):  # rounds x local epochs
        for x, y in loader:
            optimizer.zero_grad()
            nn.functional.mse_loss(local(x), y).backward()
            optimizer.step()
    client = Client(
        lambda: nn.Linear(2, 1),
        loader,
        local_epochs=2,
        lr=0.05,
        loss_fn=nn.functional.mse_loss,
        device="cpu",
    )
    federated = copy.deepcopy(start)
    history = run_fedavg([client], federated, rounds=3)
    assert history["round"] == [1.0, 2.0, 3.0]
    for name, tensor in local.state_dict().items():
        torch.testing.assert_close(federated.state_dict()[name], tensor, rtol=1e-6, atol=1e-7)


def test_fedavg_learns_on_two_non_iid_clients_and_fedprox_stays_closer():
    torch.manual_seed(0)
    site_a = _regression_data(64, 2.0, -1.5, seed=2)
    site_b = _regression_data(32, 2.0, 1.5, seed=3)
    pooled_x = torch.cat([site_a.tensors[0], site_b.tensors[0]])
    pooled_y = torch.cat([site_a.tensors[1], site_b.tensors[1]])

    def pooled_loss(model):
        with torch.no_grad():
            return {"pooled_mse": float(nn.functional.mse_loss(model(pooled_x), pooled_y))}

    def make_clients(mu):
        return [
            Client(
                lambda: nn.Linear(2, 1),
                DataLoader(site, batch_size=16, shuffle=False),
                local_epochs=2,
                lr=0.02,
                mu=mu,
                loss_fn=nn.functional.mse_loss,
                device="cpu",
                name=name,
            )
            for site, name in ((site_a, "A"), (site_b, "B"))
        ]

    start = nn.Linear(2, 1)
    initial = pooled_loss(start)["pooled_mse"]
    model = copy.deepcopy(start)
    history = run_fedavg(make_clients(0.0), model, rounds=5, evaluate_fn=pooled_loss)
    assert history["n_clients"] == [2.0] * 5
    assert history["pooled_mse"][-1] < 0.2 * initial
    assert history["pooled_mse"][-1] < history["pooled_mse"][0]
    # FedProx: with a strong proximal term a client's weights move less from the global ones
    drift = {}
    for mu in (0.0, 10.0):
        client = make_clients(mu)[0]
        global_state = copy.deepcopy(start).state_dict()
        update = client.train(global_state)
        drift[mu] = sum(
            float(((update.state[k] - global_state[k]) ** 2).sum()) for k in global_state
        )
    assert drift[10.0] < drift[0.0]


def test_client_fraction_draws_a_subset_each_round():
    data = _regression_data(8, 1.0, 0.0, seed=4)
    clients = [
        Client(
            lambda: nn.Linear(2, 1),
            DataLoader(data, batch_size=8),
            lr=0.01,
            loss_fn=nn.functional.mse_loss,
            device="cpu",
        )
        for _ in range(4)
    ]
    history = run_fedavg(clients, nn.Linear(2, 1), rounds=2, client_fraction=0.5, seed=1)
    assert history["n_clients"] == [2.0, 2.0]
    with pytest.raises(ValueError, match="client_fraction"):
        run_fedavg(clients, nn.Linear(2, 1), rounds=1, client_fraction=0.0)


def test_lr_schedule_equals_local_training_with_the_same_rates():
    """One client with a learning rate per round = plain SGD whose rate changes each round."""
    torch.manual_seed(0)
    data = _regression_data(24, 2.0, 0.0, seed=5)
    loader = DataLoader(data, batch_size=8, shuffle=False)
    rates = {1: 0.05, 2: 0.02, 3: 0.005}
    start = nn.Linear(2, 1)
    local = copy.deepcopy(start)
    for round_ in (1, 2, 3):
        optimizer = torch.optim.SGD(local.parameters(), lr=rates[round_])
        for x, y in loader:
            optimizer.zero_grad()
            nn.functional.mse_loss(local(x), y).backward()
            optimizer.step()
    client = Client(
        lambda: nn.Linear(2, 1), loader, lr=0.05, loss_fn=nn.functional.mse_loss, device="cpu"
    )
    federated = copy.deepcopy(start)
    run_fedavg([client], federated, rounds=3, lr_schedule=rates.get)
    assert client.lr == 0.005
    for name, tensor in local.state_dict().items():
        torch.testing.assert_close(federated.state_dict()[name], tensor, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="lr_schedule"):
        run_fedavg([client], copy.deepcopy(start), rounds=1, lr_schedule=lambda r: 0.0)
