"""Multi-layer perceptron for voxel-wise classification (chapter 01).

The lecture's worked example (after Knoll, ISMRM 2018) classifies each voxel
from a vector of features ``X_i = [T1w_i, FA_i, MD_i, ...]`` with three
hidden layers of 100 units, ReLU activations and a softmax output. With 106
input features and 3 classes it has

    (106*100 + 100) + 2 * (100*100 + 100) + (100*3 + 3) = 31,203

trainable parameters, the lecture's "10100x3+600+303".
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ._validation import check_int, check_int_tuple


def mlp_parameter_count(in_features: int, hidden: Sequence[int], n_classes: int) -> int:
    """Number of trainable parameters of a fully connected network.

    Each dense layer from ``n_in`` to ``n_out`` units has a weight matrix
    (``n_in * n_out`` entries) and a bias vector (``n_out`` entries).

    Parameters
    ----------
    in_features : int
        Length of the input feature vector.
    hidden : sequence of int
        Units of each hidden layer, e.g. ``(100, 100, 100)``.
    n_classes : int
        Number of output units (classes).

    Returns
    -------
    int
        ``sum(n_in * n_out + n_out)`` over all layers.

    Examples
    --------
    >>> mlp_parameter_count(106, (100, 100, 100), 3)
    31203
    """
    in_features = check_int("in_features", in_features)
    hidden = check_int_tuple("hidden", hidden, min_length=0)
    n_classes = check_int("n_classes", n_classes)
    sizes = (in_features, *hidden, n_classes)
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


class MLP(nn.Module):
    """Fully connected classifier with ReLU hidden layers; outputs logits.

    ``forward`` returns *logits* (unnormalised scores). The softmax of the
    lecture's diagram is applied inside the loss:
    :class:`torch.nn.CrossEntropyLoss` combines ``log_softmax`` and the
    negative log-likelihood in one numerically stable step. Use
    ``torch.softmax(model(x), dim=1)`` to obtain class probabilities.

    Parameters
    ----------
    in_features : int
        Number of features per sample (e.g. one value per contrast).
    n_classes : int
        Number of classes (e.g. 3 for CSF / GM / WM).
    hidden : sequence of int, default (100, 100, 100)
        Units in each hidden layer; ``()`` gives multinomial logistic
        regression.

    Attributes
    ----------
    config : dict
        The construction arguments, stored with checkpoints.

    Notes
    -----
    Shapes: input ``(B, in_features)``, output ``(B, n_classes)``.

    References
    ----------
    .. [1] F. Knoll, "Deep learning", ISMRM 2018 educational course (the
       lecture's classification example).
    .. [2] I. Goodfellow, Y. Bengio, A. Courville, *Deep Learning*, MIT Press,
       2016, chapter 6 (deep feedforward networks).

    Examples
    --------
    >>> model = MLP(106, 3)
    >>> sum(p.numel() for p in model.parameters())
    31203
    """

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        hidden: Sequence[int] = (100, 100, 100),
    ) -> None:
        super().__init__()
        in_features = check_int("in_features", in_features, hint="It is the length of X_i.")
        n_classes = check_int(
            "n_classes",
            n_classes,
            minimum=2,
            hint="Use n_classes=2 with CrossEntropyLoss for a binary task.",
        )
        hidden = check_int_tuple(
            "hidden",
            hidden,
            min_length=0,
            hint="Example: hidden=(100, 100, 100).",
        )
        self.config = {
            "in_features": in_features,
            "n_classes": n_classes,
            "hidden": hidden,
        }
        layers: list[nn.Module] = []
        n_in = in_features
        for n_out in hidden:
            layers += [nn.Linear(n_in, n_out), nn.ReLU()]
            n_in = n_out
        layers.append(nn.Linear(n_in, n_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return logits ``(B, n_classes)`` for features ``x`` ``(B, in_features)``."""
        if x.ndim != 2 or x.shape[1] != self.config["in_features"]:
            raise ValueError(
                f"x must have shape (B, {self.config['in_features']}), got "
                f"{tuple(x.shape)}; flatten voxels to rows first, e.g. "
                "x.reshape(-1, n_features)."
            )
        return self.net(x)
