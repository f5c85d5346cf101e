"""A small CNN classifier, and the receptive field of a conv/pool stack (chapter 10).

Chapter 10 contrasts CNNs with a transformer on a task that needs long-range
context (comparing the two hemispheres). A CNN's features each see only a
window of the image, its *receptive field*; a global average pooling then
merely averages local evidence, so it cannot compare two regions further
apart than the receptive field. The receptive field grows with depth (each
``k x k`` layer), pooling (which multiplies the growth of later layers) and
dilation (a dilated kernel spans more pixels with the same weights).
:func:`receptive_field` computes that window for plain convolution/pooling
stacks; :class:`CNNClassifier` builds such stacks, optionally behind a ViT-like
patch embedding so that a CNN and a ViT can share their first layer.
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
        Feature maps of each stage (one convolution + norm + ReLU per stage).
    kernel_size : int, default 3
        Odd kernel size of the stages ("same" padding); 1 gives 1x1 convolutions,
        which mix channels but never neighbouring positions.
    pooling : bool or sequence of bool, default True
        2x2 max-pooling after a stage. ``True``: after every stage except the
        last (doubles the receptive-field growth per stage); ``False``: never;
        a sequence gives one flag per stage.
    norm : {"batch", None}, default "batch"
        Batch normalisation after each convolution.
    patch_size : int, default 1
        With ``patch_size = p > 1`` the first stage is a *patch embedding*: a
        ``p x p`` convolution with stride ``p`` (non-overlapping patches, the
        first layer of a ViT), so the later stages work on an ``(H/p, W/p)``
        grid. ``1``: the first stage is an ordinary convolution.
    dilations : sequence of int, optional
        Dilation of each stage's convolution (default all 1). A ``k x k``
        kernel with dilation ``d`` spans ``d (k - 1) + 1`` positions with the
        same ``k^2`` weights (atrous convolution). The patch embedding, if any,
        must have dilation 1.

    Attributes
    ----------
    config : dict
        The construction arguments, stored with checkpoints.
    features : torch.nn.Sequential
        The convolutional part; ``receptive_field(model)`` measures it.

    Notes
    -----
    Shapes: ``(B, C, H, W) -> (B, n_classes)``; with ``patch_size = p``, ``H``
    and ``W`` should be multiples of ``p``. The defaults have a receptive
    field of 18 pixels; compare :func:`course_lib.models.count_parameters`
    with the ViT's to match parameter budgets.

    References
    ----------
    .. [1] Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-based learning
       applied to document recognition", Proc. IEEE 86, 1998.
       doi:10.1109/5.726791
    .. [2] F. Yu, V. Koltun, "Multi-scale context aggregation by dilated
       convolutions", ICLR 2016. arXiv:1511.07122
    .. [3] L.-C. Chen et al., "DeepLab: semantic image segmentation with deep
       convolutional nets, atrous convolution, and fully connected CRFs",
       IEEE TPAMI 40(4), 2018. doi:10.1109/TPAMI.2017.2699184
    """

    def __init__(
        self,
        in_channels: int,
        n_classes: int,
        channels: Sequence[int] = (16, 32, 64),
        kernel_size: int = 3,
        pooling: bool | Sequence[bool] = True,
        norm: str | None = "batch",
        patch_size: int = 1,
        dilations: Sequence[int] | None = None,
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
        patch_size = check_int("patch_size", patch_size)
        if isinstance(pooling, bool):
            pool_after = tuple(pooling and i < len(channels) - 1 for i in range(len(channels)))
        else:
            pool_after = tuple(bool(p) for p in pooling)
            if len(pool_after) != len(channels):
                raise ValueError(
                    f"pooling has {len(pool_after)} flags for {len(channels)} stages; give one "
                    "per entry of channels, or True/False."
                )
        if dilations is None:
            dilations = (1,) * len(channels)
        dilations = check_int_tuple("dilations", dilations, hint="e.g. (1, 1, 2).")
        if len(dilations) != len(channels):
            raise ValueError(
                f"dilations has {len(dilations)} entries for {len(channels)} stages; give one "
                "per entry of channels."
            )
        if patch_size > 1 and dilations[0] != 1:
            raise ValueError(
                f"the patch embedding (first stage, patch_size={patch_size}) cannot be dilated; "
                f"set dilations[0] = 1, got {dilations[0]}."
            )
        self.config = {
            "in_channels": in_channels,
            "n_classes": n_classes,
            "channels": channels,
            "kernel_size": kernel_size,
            "pooling": pool_after if not isinstance(pooling, bool) else bool(pooling),
            "norm": norm,
            "patch_size": patch_size,
            "dilations": dilations,
        }
        layers: list[nn.Module] = []
        c_in = in_channels
        for i, (c, d) in enumerate(zip(channels, dilations)):
            if i == 0 and patch_size > 1:
                conv = nn.Conv2d(c_in, c, patch_size, stride=patch_size)
            else:
                conv = nn.Conv2d(c_in, c, kernel_size, padding=d * (kernel_size // 2), dilation=d)
            layers += [
                conv,
                nn.BatchNorm2d(c) if norm == "batch" else nn.Identity(),
                nn.ReLU(inplace=True),
            ]
            if pool_after[i]:
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
