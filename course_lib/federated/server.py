"""The FedAvg server: validate client updates, average them by sample count (chapter 11b).

FedAvg (McMahan et al. 2017) replaces the global weights by the average of the
clients' weights, each weighted by its number of training examples:

    w_global = sum_k n_k w_k / sum_k n_k.

The server sees only :class:`ClientUpdate` messages and checks each one against
the global model before averaging: the same names as ``global_model.state_dict()``
(no missing, no extra key), the same shapes, floating-point tensors for
floating-point entries, finite values. Anything else is rejected with an error
that names the client, the key and the problem.

References
----------
McMahan, H. B., Moore, E., Ramage, D., Hampson, S. & Aguera y Arcas, B. (2017).
Communication-efficient learning of deep networks from decentralized data.
AISTATS, PMLR 54:1273-1282. arXiv:1602.05629
"""

from __future__ import annotations

import copy
from typing import Sequence

import torch
from torch import nn

from course_lib.federated.client_update import ClientUpdate, UpdateRejected

__all__ = ["FedAvgServer"]


class FedAvgServer:
    """Hold the global model; aggregate validated client updates.

    Parameters
    ----------
    global_model : nn.Module
        The model whose ``state_dict()`` defines what an update may contain. It is
        updated in place by :meth:`aggregate`.

    Examples
    --------
    >>> server = FedAvgServer(nn.Linear(2, 1))
    >>> sorted(server.expected)
    ['bias', 'weight']
    """

    def __init__(self, global_model: nn.Module) -> None:
        if not isinstance(global_model, nn.Module):
            raise TypeError(f"global_model must be an nn.Module, got {type(global_model).__name__}")
        self.global_model = global_model
        self.expected = {
            name: (tuple(t.shape), t.dtype) for name, t in global_model.state_dict().items()
        }
        self.rounds = 0

    def global_state(self) -> dict[str, torch.Tensor]:
        """A copy of the global weights to send to the clients (CPU tensors)."""
        return {
            name: t.detach().to("cpu", copy=True)
            for name, t in self.global_model.state_dict().items()
        }

    def validate(self, update: object, index: int = 0) -> ClientUpdate:
        """Check one update against the global model; return it or raise UpdateRejected."""
        who = f"update {index}"
        if not isinstance(update, ClientUpdate):
            raise UpdateRejected(
                f"{who} is a {type(update).__name__}, not a ClientUpdate: the server accepts "
                "only ClientUpdate(state=<parameter tensors>, n_samples=<int>)"
            )
        keys, expected = set(update.state), set(self.expected)
        if keys != expected:
            extra, missing = sorted(keys - expected), sorted(expected - keys)
            raise UpdateRejected(
                f"{who} has keys that do not match the global model: unknown {extra}, "
                f"missing {missing}; only the model's parameters and buffers may be sent"
            )
        for name, tensor in update.state.items():
            shape, dtype = self.expected[name]
            if tuple(tensor.shape) != shape:
                raise UpdateRejected(
                    f"{who}: {name!r} has shape {tuple(tensor.shape)}, the "
                    f"global model expects {shape}"
                )
            if dtype.is_floating_point and not tensor.dtype.is_floating_point:
                raise UpdateRejected(
                    f"{who}: {name!r} has dtype {tensor.dtype}, expected a "
                    f"floating-point tensor like {dtype}"
                )
            if tensor.dtype.is_floating_point and not torch.isfinite(tensor).all():
                raise UpdateRejected(f"{who}: {name!r} contains NaN or inf (diverged client?)")
        return update

    def aggregate(self, updates: Sequence[ClientUpdate]) -> dict[str, torch.Tensor]:
        """Validate all updates, then set the global weights to their weighted mean.

        Parameters
        ----------
        updates : sequence of ClientUpdate
            At least one update; all are validated before any weight changes.

        Returns
        -------
        dict of str to torch.Tensor
            The new global state (also loaded into ``global_model``). Integer
            buffers (e.g. BatchNorm's ``num_batches_tracked``) get the rounded mean.
        """
        if isinstance(updates, ClientUpdate) or not isinstance(updates, Sequence):
            raise UpdateRejected(
                f"updates must be a list of ClientUpdate, got {type(updates).__name__}"
            )
        if len(updates) == 0:
            raise UpdateRejected("aggregate() needs at least one client update")
        checked = [self.validate(update, index) for index, update in enumerate(updates)]
        total = float(sum(update.n_samples for update in checked))
        current = self.global_model.state_dict()
        new_state = {}
        for name, (_, dtype) in self.expected.items():
            mean = sum(
                update.state[name].double() * (update.n_samples / total) for update in checked
            )
            if not dtype.is_floating_point:
                mean = mean.round()
            new_state[name] = mean.to(dtype=dtype, device=current[name].device)
        self.global_model.load_state_dict(copy.deepcopy(new_state))
        self.rounds += 1
        return new_state
