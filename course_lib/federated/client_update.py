"""The only message a federated client may send: model parameters and a sample count (chapter 11b).

Cross-silo federated learning keeps the images in each hospital. The privacy
promise holds only if nothing but model weights leaves a site, so the message type
is narrow by design: :class:`ClientUpdate` accepts a mapping of *names to tensors*
and one positive integer, and rejects anything else (a Dataset, a DataLoader, a
numpy array, a nested dict) at construction. The server then checks the names and
shapes against the global model (:class:`course_lib.federated.FedAvgServer`), so a
tensor of images cannot travel as an extra key or in place of a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import torch

__all__ = ["ClientUpdate", "UpdateRejected"]


class UpdateRejected(ValueError):
    """A client update that the server refuses (wrong type, names, shapes or values)."""


@dataclass(frozen=True)
class ClientUpdate:
    """Model parameters trained at one site, and how many examples trained them.

    Parameters
    ----------
    state : Mapping[str, torch.Tensor]
        Parameter and buffer tensors, keyed by the names of the global model's
        ``state_dict()``. Tensors are detached and copied to the CPU.
    n_samples : int
        Number of local training examples (the FedAvg weight), > 0.

    Raises
    ------
    UpdateRejected
        If ``state`` is not a mapping of str to tensor, or ``n_samples`` is not a
        positive int.
    """

    state: Mapping[str, torch.Tensor]
    n_samples: int

    def __post_init__(self) -> None:
        if not isinstance(self.state, Mapping):
            raise UpdateRejected(
                f"ClientUpdate.state must be a mapping of parameter names to tensors, got "
                f"{type(self.state).__name__}; send model.state_dict(), never data"
            )
        clean = {}
        for name, value in self.state.items():
            if not isinstance(name, str):
                raise UpdateRejected(f"state keys must be parameter names (str), got {name!r}")
            if not isinstance(value, torch.Tensor):
                raise UpdateRejected(
                    f"state[{name!r}] must be a torch.Tensor, got {type(value).__name__}; "
                    "only parameter tensors may leave a site"
                )
            clean[name] = value.detach().to("cpu", copy=True)
        object.__setattr__(self, "state", MappingProxyType(clean))
        if (
            isinstance(self.n_samples, bool)
            or not isinstance(self.n_samples, int)
            or self.n_samples <= 0
        ):
            raise UpdateRejected(
                f"n_samples must be a positive int (local example count), got {self.n_samples!r}"
            )

    @classmethod
    def from_model(cls, model: torch.nn.Module, n_samples: int) -> "ClientUpdate":
        """Build the update from a trained local model's ``state_dict()``."""
        return cls(state=dict(model.state_dict()), n_samples=int(n_samples))
