"""Dimension-agnostic U-Net with optional multi-task heads (chapters 04-08).

One class builds the 2-D U-Net of Ronneberger et al. (``spatial_dims=2``) and
the 3-D U-Net of Çiçek et al. (``spatial_dims=3``): 3x3(x3) convolutions with
ReLU, 2x2(x2) max-pooling, channels doubling per level, 2x2(x2) transposed
convolutions ("up-convolutions") and skip connections by concatenation. The
``heads`` argument gives the NeuroNet idea (Rajchl et al. 2018): several
1x1 output convolutions sharing one network, each reproducing one labelling
protocol.

Input sizes: each pooling halves the image, so the spatial sizes must be
multiples of ``2 ** (len(channels) - 1)``. By default (``pad_input=True``) other
sizes are zero-padded at the end of each axis and the outputs cropped back to
the input size; with ``pad_input=False`` they raise a ``ValueError`` that
names the nearest valid sizes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from ._validation import (
    check_choice,
    check_int,
    check_int_tuple,
    check_probability,
)

NORMS = ("batch", "instance", None)


def conv_layer(spatial_dims: int) -> type[nn.Module]:
    """``nn.Conv2d`` or ``nn.Conv3d`` for ``spatial_dims`` 2 or 3."""
    return nn.Conv2d if spatial_dims == 2 else nn.Conv3d


def _norm_layer(spatial_dims: int, norm: str | None, channels: int) -> nn.Module:
    if norm == "batch":
        return (nn.BatchNorm2d if spatial_dims == 2 else nn.BatchNorm3d)(channels)
    if norm == "instance":
        cls = nn.InstanceNorm2d if spatial_dims == 2 else nn.InstanceNorm3d
        return cls(channels, affine=True)
    return nn.Identity()


class ConvBlock(nn.Sequential):
    """``n_conv`` times (3x3 conv, normalisation, ReLU), then optional dropout.

    Shapes: ``(B, in_channels, *S) -> (B, out_channels, *S)`` ("same" padding).
    """

    def __init__(
        self,
        spatial_dims: int,
        in_channels: int,
        out_channels: int,
        n_conv: int = 2,
        norm: str | None = None,
        dropout: float = 0.0,
    ) -> None:
        layers: list[nn.Module] = []
        conv = conv_layer(spatial_dims)
        for i in range(n_conv):
            layers += [
                conv(in_channels if i == 0 else out_channels, out_channels, 3, padding=1),
                _norm_layer(spatial_dims, norm, out_channels),
                nn.ReLU(inplace=True),
            ]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        super().__init__(*layers)


def _check_heads(heads: Mapping[str, int]) -> dict[str, int]:
    if not isinstance(heads, Mapping) or not heads:
        raise ValueError(
            f"heads must be a non-empty dict name -> n_classes, e.g. "
            f"{{'tissue': 4, 'lobes': 7}}, got {heads!r}."
        )
    out = {}
    for name, n in heads.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"heads keys must be identifiers such as 'tissue', got {name!r}.")
        out[name] = check_int(f"heads[{name!r}]", n)
    return out


class UNet(nn.Module):
    """U-Net for 2-D or 3-D segmentation; outputs logits.

    Parameters
    ----------
    spatial_dims : {2, 3}
        2 for images ``(B, C, H, W)``, 3 for volumes ``(B, C, H, W, D)``.
    in_channels : int
        Input channels (contrasts).
    out_channels : int or None
        Classes of the single output head (logits; softmax/sigmoid in the loss).
        Give ``None`` when ``heads`` is used.
    channels : sequence of int, default (16, 32, 64, 128)
        Feature maps per level (the NeuroNet 16-32-64-128); its length is the
        depth, and ``len(channels) - 1`` poolings are applied.
    n_conv_per_level : int, default 2
        3x3 convolutions per level (Ronneberger et al. use 2).
    dropout : float, default 0.0
        Dropout probability after every convolution block (0 disables it).
    skip_connections : bool, default True
        Concatenate encoder features into the decoder; ``False`` gives a plain
        encoder-decoder (chapter 04 exercise).
    norm : {"batch", "instance", None}, default "batch"
        Normalisation after each convolution.
    heads : dict of str to int, optional
        Several output heads sharing the network, name -> number of classes
        (NeuroNet). ``forward`` then returns a dict ``name -> logits`` when
        there are two or more heads, and a plain tensor for one head.
    pad_input : bool, default True
        Zero-pad inputs whose sizes are not multiples of
        ``2 ** (len(channels) - 1)`` and crop the outputs back; if False,
        such inputs raise ``ValueError``.

    Attributes
    ----------
    config : dict
        The construction arguments, stored with checkpoints.

    Notes
    -----
    Every convolution has a bias, so a level with ``n`` convolutions from
    ``a`` to ``b`` channels has ``(a*9*b + b) + (n-1)*(b*9*b + b)`` weights in
    2-D (27 instead of 9 in 3-D), plus ``2*b`` per convolution for batch or
    instance normalisation; the up-convolution from level ``i+1`` has
    ``c[i+1]*c[i]*2**d + c[i]``, a head ``c[0]*k + k``.

    References
    ----------
    .. [1] O. Ronneberger, P. Fischer, T. Brox, "U-Net: convolutional networks
       for biomedical image segmentation", MICCAI 2015.
       doi:10.1007/978-3-319-24574-4_28
    .. [2] Ö. Çiçek et al., "3D U-Net: learning dense volumetric segmentation
       from sparse annotation", MICCAI 2016. doi:10.1007/978-3-319-46723-8_49
    .. [3] M. Rajchl et al., "NeuroNet: fast and robust reproduction of
       multiple brain image segmentation pipelines", MIDL 2018.
       arXiv:1806.04224
    """

    def __init__(
        self,
        spatial_dims: int,
        in_channels: int,
        out_channels: int | None,
        channels: Sequence[int] = (16, 32, 64, 128),
        n_conv_per_level: int = 2,
        dropout: float = 0.0,
        skip_connections: bool = True,
        norm: str | None = "batch",
        heads: Mapping[str, int] | None = None,
        pad_input: bool = True,
    ) -> None:
        super().__init__()
        spatial_dims = check_choice("spatial_dims", spatial_dims, (2, 3))
        in_channels = check_int("in_channels", in_channels)
        channels = check_int_tuple(
            "channels",
            channels,
            min_length=2,
            hint="A U-Net needs at least two levels, e.g. channels=(16, 32, 64, 128).",
        )
        n_conv_per_level = check_int("n_conv_per_level", n_conv_per_level)
        dropout = check_probability("dropout", dropout)
        norm = check_choice("norm", norm, NORMS)
        if (out_channels is None) == (heads is None):
            raise ValueError(
                "Give exactly one of out_channels (a single output) or heads "
                "(several named outputs), e.g. UNet(2, 1, out_channels=4) or "
                "UNet(2, 1, None, heads={'tissue': 4, 'lobes': 7})."
            )
        if heads is None:
            out_channels = check_int("out_channels", out_channels)
        else:
            heads = _check_heads(heads)
        self.config = {
            "spatial_dims": spatial_dims,
            "in_channels": in_channels,
            "out_channels": out_channels,
            "channels": channels,
            "n_conv_per_level": n_conv_per_level,
            "dropout": dropout,
            "skip_connections": bool(skip_connections),
            "norm": norm,
            "heads": heads,
            "pad_input": bool(pad_input),
        }
        d, n = spatial_dims, n_conv_per_level
        self.encoder = nn.ModuleList(
            ConvBlock(d, in_channels if i == 0 else channels[i - 1], c, n, norm, dropout)
            for i, c in enumerate(channels)
        )
        self.pool = (nn.MaxPool2d if d == 2 else nn.MaxPool3d)(2)
        up = nn.ConvTranspose2d if d == 2 else nn.ConvTranspose3d
        levels = range(len(channels) - 2, -1, -1)  # decoder order: deep to shallow
        self.upconvs = nn.ModuleList(up(channels[i + 1], channels[i], 2, stride=2) for i in levels)
        factor = 2 if skip_connections else 1
        self.decoder = nn.ModuleList(
            ConvBlock(d, factor * channels[i], channels[i], n, norm, dropout) for i in levels
        )
        self.heads = self._build_heads(heads or {"out": out_channels})

    def _build_heads(self, heads: Mapping[str, int]) -> nn.ModuleDict:
        conv = conv_layer(self.config["spatial_dims"])
        c0 = self.config["channels"][0]
        return nn.ModuleDict({name: conv(c0, k, 1) for name, k in heads.items()})

    @property
    def size_multiple(self) -> int:
        """Spatial sizes must be multiples of this (``2 ** n_poolings``)."""
        return 2 ** (len(self.config["channels"]) - 1)

    def replace_heads(
        self, out_channels: int | None = None, heads: Mapping[str, int] | None = None
    ) -> None:
        """Replace the output head(s) by freshly initialised ones (transfer learning).

        The rest of the network keeps its weights; ``config`` is updated so a
        checkpoint rebuilds the new model. Give exactly one of the arguments.
        """
        if (out_channels is None) == (heads is None):
            raise ValueError("Give exactly one of out_channels or heads.")
        if heads is None:
            out_channels = check_int("out_channels", out_channels)
        else:
            heads = _check_heads(heads)
        ref = self.heads[next(iter(self.heads))].weight
        self.heads = self._build_heads(heads or {"out": out_channels}).to(ref.device, ref.dtype)
        self.config["out_channels"] = out_channels
        self.config["heads"] = heads

    def encoder_parameters(self) -> Iterator[nn.Parameter]:
        """Parameters of the contracting path (including the bottleneck)."""
        return self.encoder.parameters()

    def decoder_parameters(self, include_heads: bool = True) -> Iterator[nn.Parameter]:
        """Parameters of the expanding path (up-convolutions, blocks, heads)."""
        yield from self.upconvs.parameters()
        yield from self.decoder.parameters()
        if include_heads:
            yield from self.heads.parameters()

    def head_parameters(self) -> Iterator[nn.Parameter]:
        """Parameters of the 1x1 output convolution(s)."""
        return self.heads.parameters()

    def _pad(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, ...]]:
        size = tuple(x.shape[2:])
        m = self.size_multiple
        if all(s % m == 0 for s in size):
            return x, size
        if not self.config["pad_input"]:
            lower = tuple(max(m, s // m * m) for s in size)
            upper = tuple(-(-s // m) * m for s in size)
            raise ValueError(
                f"Spatial size {size} is not a multiple of {m} "
                f"(2 ** {len(self.config['channels']) - 1} poolings); crop to "
                f"{lower}, pad to {upper}, or build the UNet with pad_input=True."
            )
        pads: list[int] = []
        for s in reversed(size):  # F.pad starts with the last axis
            pads += [0, -(-s // m) * m - s]
        return F.pad(x, pads), size

    def forward(self, x: torch.Tensor) -> torch.Tensor | dict[str, torch.Tensor]:
        """Return logits ``(B, out_channels, *S)`` (or a dict of them per head).

        ``x`` has shape ``(B, in_channels, H, W)`` in 2-D and
        ``(B, in_channels, H, W, D)`` in 3-D.
        """
        cfg = self.config
        if x.ndim != cfg["spatial_dims"] + 2 or x.shape[1] != cfg["in_channels"]:
            dims = "H, W" if cfg["spatial_dims"] == 2 else "H, W, D"
            raise ValueError(
                f"x must have shape (B, {cfg['in_channels']}, {dims}) for this "
                f"{cfg['spatial_dims']}-D UNet, got {tuple(x.shape)}."
            )
        x, size = self._pad(x)
        skips = []
        for i, block in enumerate(self.encoder):
            x = block(x if i == 0 else self.pool(x))
            skips.append(x)
        for up, block, skip in zip(self.upconvs, self.decoder, reversed(skips[:-1]), strict=True):
            x = up(x)
            if cfg["skip_connections"]:
                x = torch.cat([skip, x], dim=1)
            x = block(x)
        crop = (slice(None), slice(None)) + tuple(slice(0, s) for s in size)
        outputs = {name: head(x)[crop] for name, head in self.heads.items()}
        if len(outputs) == 1:
            return next(iter(outputs.values()))
        return outputs
