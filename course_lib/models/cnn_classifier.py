"""A small CNN classifier with a limited receptive field, and receptive fields.

Chapter 10 contrasts a CNN with a transformer on a task that needs long-range
context (e.g. comparing the two hemispheres). The CNN's features each see only
a window of the image, its *receptive field*; a global average pooling then
merely averages local evidence, so it cannot compare two regions further
apart than the receptive field. :func:`receptive_field` computes that window
for plain convolution/pooling stacks.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ._validation import check_choice, check_int, check_int_tuple

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_POOL = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)
_UNSUPPORTED = (
    nn.Linear,
    nn.ConvTranspose1d,
    nn.ConvTranspose2d,
    nn.ConvTranspose3d,
    nn.AdaptiveAvgPool1d,
    nn.AdaptiveAvgPool2d,
    nn.AdaptiveAvgPool3d,
    nn.AdaptiveMaxPool1d,
    nn.AdaptiveMaxPool2d,
    nn.AdaptiveMaxPool3d,
)


def _isotropic(name: str, value: int | Sequence[int]) -> int:
    if isinstance(value, int):
        return value
    values = set(value)
    if len(values) != 1:
        raise ValueError(f"receptive_field handles isotropic layers only; {name}={tuple(value)}.")
    return values.pop()


def _layer_geometry(model: nn.Module) -> list[tuple[int, int, int]]:
    root = getattr(model, "features", model)
    geometry = []
    for name, layer in root.named_modules():
        if isinstance(layer, _UNSUPPORTED):
            raise ValueError(
                f"receptive_field handles plain conv/pool stacks; layer {name!r} is a "
                f"{type(layer).__name__}. Pass the convolutional part (e.g. model.features)."
            )
        if isinstance(layer, _CONV) or isinstance(layer, _POOL):
            k = _isotropic(f"{name}.kernel_size", layer.kernel_size)
            s = _isotropic(f"{name}.stride", layer.stride if layer.stride is not None else k)
            d = _isotropic(f"{name}.dilation", getattr(layer, "dilation", 1))
            geometry.append((k, s, d))
    return geometry


def receptive_field(model_or_config: nn.Module | Sequence[Sequence[int]]) -> int:
    """Receptive field (in input pixels) of one output of a conv/pool stack.

    Parameters
    ----------
    model_or_config : torch.nn.Module or sequence of (kernel, stride[, dilation])
        A module whose convolutions and poolings are applied in registration
        order (its ``features`` attribute is used when present), or the layer
        list itself, e.g. ``[(3, 1), (2, 2), (3, 1)]``.

    Returns
    -------
    int
        Side length ``r`` of the input window that one output value depends
        on: starting from ``r = 1, j = 1``, every layer does
        ``r += (d * (k - 1)) * j`` and ``j *= s`` (``j`` is the spacing of the
        layer's outputs in input pixels). Padding does not change ``r``.

    Raises
    ------
    ValueError
        For layers that are not plain convolutions/poolings (linear layers,
        adaptive pooling, transposed convolutions) or anisotropic kernels.

    References
    ----------
    .. [1] W. Luo, Y. Li, R. Urtasun, R. Zemel, "Understanding the effective
       receptive field in deep convolutional neural networks", NeurIPS 2016.
       arXiv:1701.04128
    .. [2] A. Araujo, W. Norris, J. Sim, "Computing receptive fields of
       convolutional neural networks", Distill 2019. doi:10.23915/distill.00021

    Examples
    --------
    >>> receptive_field([(3, 1), (3, 1), (2, 2), (3, 1)])  # 1 + 2 + 2 + 1 + 2*2
    10
    """
    if isinstance(model_or_config, nn.Module):
        geometry = _layer_geometry(model_or_config)
    else:
        geometry = []
        for i, layer in enumerate(model_or_config):
            items = check_int_tuple(f"model_or_config[{i}]", layer)
            if len(items) not in (2, 3):
                raise ValueError(
                    f"model_or_config[{i}] must be (kernel, stride) or "
                    f"(kernel, stride, dilation), got {items}."
                )
            geometry.append((items[0], items[1], items[2] if len(items) == 3 else 1))
    r, j = 1, 1
    for k, s, d in geometry:
        r += d * (k - 1) * j
        j *= s
    return r


class CNNClassifier(nn.Module):
    """Plain CNN classifier: conv stages, global average pooling, linear layer.

    Parameters
    ----------
    in_channels : int
        Image channels.
    n_classes : int
        Number of classes (logits; softmax in the loss).
    channels : sequence of int, default (16, 32, 64)
        Feature maps of each stage (one ``kernel_size`` convolution + norm +
        ReLU per stage).
    kernel_size : int, default 3
        Odd convolution kernel size ("same" padding).
    pooling : bool, default True
        2x2 max-pooling after every stage except the last (doubles the
        receptive-field growth per stage).
    norm : {"batch", None}, default "batch"
        Batch normalisation after each convolution.

    Attributes
    ----------
    config : dict
        The construction arguments, stored with checkpoints.
    features : torch.nn.Sequential
        The convolutional part; ``receptive_field(model)`` measures it.

    Notes
    -----
    Shapes: ``(B, C, H, W) -> (B, n_classes)``. The defaults have a receptive
    field of 18 pixels; compare :func:`course_lib.models.count_parameters`
    with the ViT's to match parameter budgets.

    References
    ----------
    .. [1] Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-based learning
       applied to document recognition", Proc. IEEE 86, 1998.
       doi:10.1109/5.726791
    """

    def __init__(
        self,
        in_channels: int,
        n_classes: int,
        channels: Sequence[int] = (16, 32, 64),
        kernel_size: int = 3,
        pooling: bool = True,
        norm: str | None = "batch",
    ) -> None:
        super().__init__()
        in_channels = check_int("in_channels", in_channels)
        n_classes = check_int("n_classes", n_classes, minimum=2)
        channels = check_int_tuple("channels", channels, hint="e.g. (16, 32, 64).")
        kernel_size = check_int("kernel_size", kernel_size)
        if kernel_size % 2 == 0:
            raise ValueError(
                f"kernel_size must be odd for 'same' padding, got {kernel_size}; "
                f"use {kernel_size + 1}."
            )
        norm = check_choice("norm", norm, ("batch", None))
        self.config = {
            "in_channels": in_channels,
            "n_classes": n_classes,
            "channels": channels,
            "kernel_size": kernel_size,
            "pooling": bool(pooling),
            "norm": norm,
        }
        layers: list[nn.Module] = []
        c_in = in_channels
        for i, c in enumerate(channels):
            layers += [
                nn.Conv2d(c_in, c, kernel_size, padding=kernel_size // 2),
                nn.BatchNorm2d(c) if norm == "batch" else nn.Identity(),
                nn.ReLU(inplace=True),
            ]
            if pooling and i < len(channels) - 1:
                layers.append(nn.MaxPool2d(2))
            c_in = c
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c_in, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, n_classes)`` for images ``(B, C, H, W)``."""
        if x.ndim != 4 or x.shape[1] != self.config["in_channels"]:
            raise ValueError(
                f"x must have shape (B, {self.config['in_channels']}, H, W), got {tuple(x.shape)}."
            )
        return self.head(self.features(x).mean(dim=(2, 3)))
