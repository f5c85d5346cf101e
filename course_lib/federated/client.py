"""A federated client: trains locally for E epochs, returns only its weights (chapter 11b).

Each round the client loads the global weights, runs ``local_epochs`` passes of
mini-batch SGD over its own DataLoader (the data never leave this object), and
returns a :class:`ClientUpdate`. With ``mu > 0`` the local loss gets the FedProx
proximal term ``(mu / 2) ||w - w_global||^2``, which keeps heterogeneous sites from
drifting too far from the global model (Li et al. 2020); ``mu = 0`` is FedAvg.

References
----------
McMahan, H. B. et al. (2017). Communication-efficient learning of deep networks
from decentralized data. AISTATS. arXiv:1602.05629
Li, T., Sahu, A. K., Zaheer, M., Sanjabi, M., Talwalkar, A. & Smith, V. (2020).
Federated optimization in heterogeneous networks. MLSys. arXiv:1812.06127
"""

from __future__ import annotations

import math
from typing import Callable, Mapping

import torch
from torch import nn

from course_lib.core.device import get_device
from course_lib.core.training import move_batch
from course_lib.federated.client_update import ClientUpdate

__all__ = ["Client"]


class Client:
    """One site of a cross-silo federation.

    Parameters
    ----------
    model_fn : callable
        ``model_fn() -> nn.Module`` building the (same) architecture as the server's.
    loader : torch.utils.data.DataLoader
        The site's training data, yielding ``(inputs, targets)`` batches (or dicts
        with ``"image"``/``"label"``, see :func:`course_lib.core.training.move_batch`).
    local_epochs : int
        E, passes over ``loader`` per round.
    lr : float
        Learning rate of the local SGD.
    mu : float
        FedProx proximal coefficient (0 = FedAvg).
    loss_fn : callable, optional
        ``loss_fn(outputs, targets)``; default ``nn.CrossEntropyLoss()``.
    momentum, weight_decay : float
        Local SGD options (the optimizer is re-created each round: no state leaks
        between rounds).
    n_samples : int, optional
        FedAvg weight; default ``len(loader.dataset)``.
    device : torch.device or str, optional
        Where to train; default :func:`course_lib.core.device.get_device`.
    name : str
        Label for progress and history (e.g. the scanner).
    """

    def __init__(
        self,
        model_fn: Callable[[], nn.Module],
        loader,
        *,
        local_epochs: int = 1,
        lr: float = 0.01,
        mu: float = 0.0,
        loss_fn: Callable | None = None,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        n_samples: int | None = None,
        device: torch.device | str | None = None,
        name: str = "",
    ) -> None:
        if local_epochs < 1:
            raise ValueError(f"local_epochs must be >= 1, got {local_epochs}")
        if lr <= 0:
            raise ValueError(f"lr must be > 0, got {lr}")
        if mu < 0:
            raise ValueError(f"mu (FedProx) must be >= 0, got {mu}")
        self.device = torch.device(device) if device is not None else get_device()
        self.model = model_fn().to(self.device)
        self.loader = loader
        self.local_epochs, self.lr, self.mu = local_epochs, lr, mu
        self.momentum, self.weight_decay = momentum, weight_decay
        self.loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
        if n_samples is None:
            try:
                n_samples = len(loader.dataset)
            except (AttributeError, TypeError) as error:
                raise ValueError(
                    "cannot infer n_samples from the loader; pass n_samples="
                ) from error
        self.n_samples = int(n_samples)
        self.name = name
        self.last_loss = math.nan  # mean local training loss of the last round (stays here)

    def train(self, global_state: Mapping[str, torch.Tensor]) -> ClientUpdate:
        """Start from ``global_state``, train locally, return the new weights.

        Parameters
        ----------
        global_state : Mapping[str, torch.Tensor]
            The server's current weights (:meth:`FedAvgServer.global_state`).

        Returns
        -------
        ClientUpdate
            The local model's ``state_dict()`` and ``n_samples``.
        """
        self.model.load_state_dict(global_state)
        self.model.train()
        anchor = [p.detach().clone() for p in self.model.parameters()]
        optimizer = torch.optim.SGD(
            self.model.parameters(),
            lr=self.lr,
            momentum=self.momentum,
            weight_decay=self.weight_decay,
        )
        total, count = 0.0, 0
        for _ in range(self.local_epochs):
            for batch in self.loader:
                inputs, targets = move_batch(batch, self.device)
                optimizer.zero_grad(set_to_none=True)
                loss = self.loss_fn(self.model(inputs), targets)
                objective = loss
                if self.mu > 0:
                    drift = sum(
                        ((p - a) ** 2).sum() for p, a in zip(self.model.parameters(), anchor)
                    )
                    objective = loss + 0.5 * self.mu * drift
                objective.backward()
                optimizer.step()
                total += float(loss.detach()) * inputs.shape[0]
                count += inputs.shape[0]
        self.last_loss = total / max(count, 1)
        return ClientUpdate.from_model(self.model, self.n_samples)
