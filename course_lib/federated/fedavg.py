"""Run federated averaging for a number of rounds, simulated on one machine (chapter 11b).

Each round: the server sends the global weights to a (possibly random) subset of
clients; each trains locally and returns a :class:`ClientUpdate`; the server
averages them by sample count. After the round, an optional ``evaluate_fn`` scores
the global model (e.g. Dice on each center's validation set). This is Algorithm 1
of McMahan et al. (2017) with client fraction ``C = client_fraction``.

References
----------
McMahan, H. B., Moore, E., Ramage, D., Hampson, S. & Aguera y Arcas, B. (2017).
Communication-efficient learning of deep networks from decentralized data.
AISTATS, PMLR 54:1273-1282. arXiv:1602.05629
"""

from __future__ import annotations

import math
import random
from typing import Callable, Mapping, Sequence

from torch import nn
from tqdm.auto import tqdm

from course_lib.core.training import History
from course_lib.federated.client import Client
from course_lib.federated.server import FedAvgServer

__all__ = ["run_fedavg"]


def run_fedavg(
    clients: Sequence[Client],
    global_model: nn.Module,
    rounds: int,
    *,
    evaluate_fn: Callable[[nn.Module], Mapping[str, float]] | None = None,
    client_fraction: float = 1.0,
    seed: int = 0,
    lr_schedule: Callable[[int], float] | None = None,
    progress: bool = False,
) -> History:
    """Train ``global_model`` with FedAvg over ``clients`` for ``rounds`` rounds.

    Parameters
    ----------
    clients : sequence of Client
        The sites; each keeps its own data.
    global_model : nn.Module
        Initial global model, updated in place (through a :class:`FedAvgServer`).
    rounds : int
        Number of communication rounds.
    evaluate_fn : callable, optional
        ``evaluate_fn(global_model) -> {name: value}`` called after each round; the
        values are recorded in the history under their names.
    client_fraction : float
        Fraction of clients drawn each round (at least one), in (0, 1].
    seed : int
        Seed of the client draw.
    lr_schedule : callable, optional
        ``lr_schedule(round) -> lr`` (1-based round): the local learning rate of the
        participating clients in that round (e.g. a cosine decay, so that the last rounds
        change the global model little). Default: each client keeps its own ``lr``.
    progress : bool
        Show a tqdm progress bar over rounds.

    Returns
    -------
    course_lib.core.training.History
        Per round: ``"round"`` (1-based), ``"loss"`` (sample-weighted mean of the
        participating clients' local training losses), ``"n_clients"``, and the
        keys returned by ``evaluate_fn``.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    if not clients:
        raise ValueError("run_fedavg needs at least one client")
    if not 0.0 < client_fraction <= 1.0:
        raise ValueError(f"client_fraction must lie in (0, 1], got {client_fraction}")
    server = FedAvgServer(global_model)
    rng = random.Random(seed)
    per_round = max(1, int(math.ceil(client_fraction * len(clients))))
    history = History()
    for round_index in tqdm(range(1, rounds + 1), desc="FedAvg rounds", disable=not progress):
        chosen = sorted(rng.sample(range(len(clients)), per_round))
        if lr_schedule is not None:
            lr = float(lr_schedule(round_index))
            if not lr > 0:
                raise ValueError(f"lr_schedule({round_index}) must be > 0, got {lr}")
            for i in chosen:
                clients[i].lr = lr
        state = server.global_state()
        updates = [clients[i].train(state) for i in chosen]
        server.aggregate(updates)
        weight = sum(update.n_samples for update in updates)
        loss = (
            sum(clients[i].last_loss * update.n_samples for i, update in zip(chosen, updates))
            / weight
        )
        logs = {"round": round_index, "loss": loss, "n_clients": len(chosen)}
        if evaluate_fn is not None:
            global_model.eval()
            logs.update({key: float(value) for key, value in evaluate_fn(global_model).items()})
        history.append(logs)
    return history
