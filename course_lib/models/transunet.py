"""A tiny hybrid CNN-transformer U-Net (chapter 10, TransUNet / UNETR idea).

The convolutional encoder of a U-Net extracts local features and reduces the
image to a small bottleneck map; there, each pixel becomes a token and a few
transformer blocks let every bottleneck position attend to every other one
(global context that a CNN only reaches through depth). The tokens are
reshaped back to a map and a U-Net decoder with skip connections restores
full resolution. This mirrors TransUNet (Chen et al. 2021); UNETR
(Hatamizadeh et al. 2022) instead feeds image patches straight into a
transformer encoder. The survey by Azad et al. (2023) cited in the lecture
reviews both families.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ._validation import check_choice, check_int, check_int_tuple, check_probability, pair
from .attention import TransformerBlock
from .unet import ConvBlock


class TransUNetLite(nn.Module):
    """2-D U-Net whose bottleneck is a small transformer; outputs logits.

    Parameters
    ----------
    in_channels : int
        Image channels.
    out_channels : int
        Classes (logits; softmax/sigmoid in the loss).
    image_size : int or (H, W)
        Input size; each side must be a multiple of ``2 ** (len(channels) - 1)``
        (the learned position embedding fixes the bottleneck size).
    channels : sequence of int, default (16, 32, 64)
        Feature maps per U-Net level; the last level is the bottleneck.
    dim : int, default 64
        Token width of the transformer.
    depth : int, default 2
        Transformer blocks.
    n_heads : int, default 4
        Attention heads (divides ``dim``).
    mlp_dim : int, default 128
        Hidden width of the blocks' MLPs.
    norm : {"batch", "instance", None}, default "batch"
        Normalisation in the convolution blocks.
    dropout : float, default 0.0
        Dropout in the transformer blocks.

    Attributes
    ----------
    config : dict
        The construction arguments, stored with checkpoints.

    Notes
    -----
    Shapes: ``(B, C, H, W) -> (B, out_channels, H, W)``; with
    ``return_attention=True`` also ``depth`` tensors ``(B, n_heads, N, N)``,
    ``N`` being the number of bottleneck pixels (row-major).

    References
    ----------
    .. [1] J. Chen et al., "TransUNet: transformers make strong encoders for
       medical image segmentation", 2021. arXiv:2102.04306
    .. [2] A. Hatamizadeh et al., "UNETR: transformers for 3D medical image
       segmentation", WACV 2022. doi:10.1109/WACV51458.2022.00181
    .. [3] R. Azad et al., 2023, arXiv survey of transformer and hybrid
       segmentation networks (as cited in the lecture).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        image_size: int | Sequence[int],
        channels: Sequence[int] = (16, 32, 64),
        dim: int = 64,
        depth: int = 2,
        n_heads: int = 4,
        mlp_dim: int = 128,
        norm: str | None = "batch",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        in_channels = check_int("in_channels", in_channels)
        out_channels = check_int("out_channels", out_channels)
        channels = check_int_tuple("channels", channels, min_length=2, hint="e.g. (16, 32, 64).")
        size = pair("image_size", image_size)
        m = 2 ** (len(channels) - 1)
        if size[0] % m or size[1] % m:
            raise ValueError(
                f"image_size={size} must be multiples of {m} (2 ** (len(channels) - 1)); "
                "crop or pad the images."
            )
        dim = check_int("dim", dim)
        depth = check_int("depth", depth)
        n_heads = check_int("n_heads", n_heads)
        mlp_dim = check_int("mlp_dim", mlp_dim)
        norm = check_choice("norm", norm, ("batch", "instance", None))
        dropout = check_probability("dropout", dropout)
        self.config = {
            "in_channels": in_channels,
            "out_channels": out_channels,
            "image_size": size,
            "channels": channels,
            "dim": dim,
            "depth": depth,
            "n_heads": n_heads,
            "mlp_dim": mlp_dim,
            "norm": norm,
            "dropout": dropout,
        }
        self.bottleneck_shape = (size[0] // m, size[1] // m)
        n_tokens = self.bottleneck_shape[0] * self.bottleneck_shape[1]
        self.encoder = nn.ModuleList(
            ConvBlock(2, in_channels if i == 0 else channels[i - 1], c, 2, norm)
            for i, c in enumerate(channels)
        )
        self.pool = nn.MaxPool2d(2)
        self.to_tokens = nn.Linear(channels[-1], dim)
        self.pos_embedding = nn.Parameter(torch.randn(1, n_tokens, dim) * 0.02)
        self.blocks = nn.ModuleList(
            TransformerBlock(dim, n_heads, mlp_dim, dropout) for _ in range(depth)
        )
        self.token_norm = nn.LayerNorm(dim)
        self.from_tokens = nn.Linear(dim, channels[-1])
        levels = range(len(channels) - 2, -1, -1)
        self.upconvs = nn.ModuleList(
            nn.ConvTranspose2d(channels[i + 1], channels[i], 2, stride=2) for i in levels
        )
        self.decoder = nn.ModuleList(
            ConvBlock(2, 2 * channels[i], channels[i], 2, norm) for i in levels
        )
        self.head = nn.Conv2d(channels[0], out_channels, 1)

    def forward(
        self, x: torch.Tensor, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits ``(B, out_channels, H, W)``; optionally the attention weights."""
        cfg = self.config
        if x.ndim != 4 or tuple(x.shape[1:]) != (cfg["in_channels"], *cfg["image_size"]):
            raise ValueError(
                f"x must have shape (B, {cfg['in_channels']}, {cfg['image_size'][0]}, "
                f"{cfg['image_size'][1]}), got {tuple(x.shape)}."
            )
        skips = []
        for i, block in enumerate(self.encoder):
            x = block(x if i == 0 else self.pool(x))
            skips.append(x)
        b, c, gh, gw = x.shape
        tokens = self.to_tokens(x.flatten(2).transpose(1, 2)) + self.pos_embedding
        attentions = []
        for block in self.blocks:
            tokens, weights = block(tokens)
            attentions.append(weights)
        feat = self.from_tokens(self.token_norm(tokens)).transpose(1, 2).reshape(b, c, gh, gw)
        x = x + feat  # residual around the transformer keeps the CNN path trainable
        for up, block, skip in zip(self.upconvs, self.decoder, reversed(skips[:-1]), strict=True):
            x = block(torch.cat([skip, up(x)], dim=1))
        logits = self.head(x)
        return (logits, attentions) if return_attention else logits
