"""A small Vision Transformer and attention rollout (chapter 10).

The image ``(B, C, H, W)`` is cut into non-overlapping ``p x p`` patches, each
linearly embedded into a token of width ``D`` (a convolution with kernel and
stride ``p``); a learned class token is prepended and a position embedding
added, because attention itself ignores order. After ``depth`` transformer
blocks the class token is classified. Tokens are ordered row by row over the
patch grid ``(H/p, W/p)`` (row-major, like ``numpy.reshape``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ._validation import check_choice, check_int, check_probability, pair
from .attention import TransformerBlock


def sincos_position_embedding(grid_shape: tuple[int, int], dim: int) -> torch.Tensor:
    """Fixed 2-D sine-cosine position embedding, shape ``(gh * gw, dim)``.

    Half the channels encode the row, half the column, each with sines and
    cosines of geometrically spaced frequencies (``dim`` divisible by 4).

    References
    ----------
    .. [1] K. He et al., "Masked autoencoders are scalable vision learners",
       CVPR 2022 (2-D sin-cos embedding). arXiv:2111.06377
    """
    if dim % 4:
        raise ValueError(f"dim must be divisible by 4 for sincos embeddings, got {dim}.")
    gh, gw = grid_shape
    rows, cols = torch.meshgrid(
        torch.arange(gh, dtype=torch.float32), torch.arange(gw, dtype=torch.float32), indexing="ij"
    )
    omega = 1.0 / 10000 ** (torch.arange(dim // 4, dtype=torch.float32) / (dim // 4))
    parts = []
    for pos in (rows.flatten(), cols.flatten()):
        angles = pos[:, None] * omega[None]
        parts += [torch.sin(angles), torch.cos(angles)]
    return torch.cat(parts, dim=1)


class ViT(nn.Module):
    """Vision Transformer classifier; outputs logits.

    Parameters
    ----------
    image_size : int or (H, W)
        Input size in pixels; each side must be a multiple of ``patch_size``.
    patch_size : int
        Side ``p`` of the square patches.
    in_channels : int
        Image channels.
    n_classes : int
        Number of classes (logits; softmax in the loss).
    dim : int, default 32
        Token width ``D``.
    depth : int, default 4
        Number of transformer blocks.
    n_heads : int, default 4
        Attention heads per block (divides ``dim``).
    mlp_dim : int, default 64
        Hidden width of each block's MLP.
    dropout : float, default 0.0
        Dropout in the blocks during training.
    pos_embedding : {"learned", "sincos"}, default "learned"
        A learned parameter, or a fixed 2-D sine-cosine table (kept as a
        non-persistent buffer: rebuilt from the config, not saved).

    Attributes
    ----------
    config : dict
        The construction arguments, stored with checkpoints.
    grid_shape : tuple of int
        Patch grid ``(H/p, W/p)``.

    Notes
    -----
    The defaults have about 37,000 parameters for 1-channel 64x64 images
    with 8x8 patches, the same order as :class:`CNNClassifier`'s defaults
    (23,650), for a fair CNN-vs-transformer comparison.

    Shapes: ``(B, C, H, W) -> (B, n_classes)``; with ``return_attention=True``
    also a list of ``depth`` tensors ``(B, n_heads, N+1, N+1)`` (token 0 is the
    class token, tokens ``1..N`` the patches in row-major order).

    References
    ----------
    .. [1] A. Dosovitskiy et al., "An image is worth 16x16 words: transformers
       for image recognition at scale", ICLR 2021. arXiv:2010.11929
    """

    def __init__(
        self,
        image_size: int | Sequence[int],
        patch_size: int,
        in_channels: int,
        n_classes: int,
        dim: int = 32,
        depth: int = 4,
        n_heads: int = 4,
        mlp_dim: int = 64,
        dropout: float = 0.0,
        pos_embedding: str = "learned",
    ) -> None:
        super().__init__()
        size = pair("image_size", image_size)
        patch_size = check_int("patch_size", patch_size)
        if size[0] % patch_size or size[1] % patch_size:
            raise ValueError(
                f"image_size={size} must be divisible by patch_size={patch_size}; "
                "crop/pad the images or pick a patch_size that divides both sides."
            )
        in_channels = check_int("in_channels", in_channels)
        n_classes = check_int("n_classes", n_classes, minimum=2)
        dim = check_int("dim", dim)
        depth = check_int("depth", depth)
        n_heads = check_int("n_heads", n_heads)
        mlp_dim = check_int("mlp_dim", mlp_dim)
        dropout = check_probability("dropout", dropout)
        pos_embedding = check_choice("pos_embedding", pos_embedding, ("learned", "sincos"))
        self.config = {
            "image_size": size,
            "patch_size": patch_size,
            "in_channels": in_channels,
            "n_classes": n_classes,
            "dim": dim,
            "depth": depth,
            "n_heads": n_heads,
            "mlp_dim": mlp_dim,
            "dropout": dropout,
            "pos_embedding": pos_embedding,
        }
        self.grid_shape = (size[0] // patch_size, size[1] // patch_size)
        n_tokens = self.grid_shape[0] * self.grid_shape[1]
        self.patch_embed = nn.Conv2d(in_channels, dim, patch_size, stride=patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        if pos_embedding == "learned":
            self.pos_embedding = nn.Parameter(torch.randn(1, n_tokens + 1, dim) * 0.02)
        else:
            table = sincos_position_embedding(self.grid_shape, dim)
            table = torch.cat([torch.zeros(1, dim), table])[None]
            self.register_buffer("pos_embedding", table, persistent=False)
        self.blocks = nn.ModuleList(
            TransformerBlock(dim, n_heads, mlp_dim, dropout) for _ in range(depth)
        )
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, n_classes)

    def forward(
        self, x: torch.Tensor, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits ``(B, n_classes)``; optionally with the per-block attention weights."""
        cfg = self.config
        if x.ndim != 4 or tuple(x.shape[1:]) != (cfg["in_channels"], *cfg["image_size"]):
            raise ValueError(
                f"x must have shape (B, {cfg['in_channels']}, {cfg['image_size'][0]}, "
                f"{cfg['image_size'][1]}), got {tuple(x.shape)}."
            )
        tokens = self.patch_embed(x).flatten(2).transpose(1, 2)  # (B, N, D)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        h = torch.cat([cls, tokens], dim=1) + self.pos_embedding
        attentions = []
        for block in self.blocks:
            h, weights = block(h)
            attentions.append(weights)
        logits = self.head(self.norm(h[:, 0]))
        return (logits, attentions) if return_attention else logits

    @torch.no_grad()
    def attention_map(self, x: torch.Tensor) -> torch.Tensor:
        """Attention rollout of the class token over the patch grid, ``(B, H/p, W/p)``.

        Each map sums to at most 1 (the rest stays on the class token itself).
        Upsample by ``patch_size`` to overlay on the image.
        """
        _, attentions = self.forward(x, return_attention=True)
        return cls_attention_map(attention_rollout(attentions), self.grid_shape)


def attention_rollout(attentions: Sequence[torch.Tensor], residual: bool = True) -> torch.Tensor:
    """Attention rollout: how much each output token draws on each input token.

    For each layer the heads are averaged (``A``), the residual connection is
    accounted for by ``0.5 * A + 0.5 * I`` (rows renormalised to sum to 1), and
    the layers are multiplied from the first to the last:
    ``R = A_L' ... A_2' A_1'``.

    Parameters
    ----------
    attentions : sequence of torch.Tensor, each (B, h, N, N)
        Attention weights of consecutive layers (e.g. from
        ``ViT.forward(x, return_attention=True)``).
    residual : bool, default True
        Add the identity for the residual path (as in the paper).

    Returns
    -------
    torch.Tensor, shape (B, N, N)
        Row ``i`` is the share of each input token in output token ``i``;
        rows sum to 1.

    References
    ----------
    .. [1] S. Abnar, W. Zuidema, "Quantifying attention flow in transformers",
       ACL 2020. doi:10.18653/v1/2020.acl-main.385
    """
    if len(attentions) == 0:
        raise ValueError("attentions must contain at least one layer's weights.")
    rollout = None
    for a in attentions:
        if a.ndim != 4 or a.shape[-1] != a.shape[-2]:
            raise ValueError(f"each attention must be (B, h, N, N), got {tuple(a.shape)}.")
        a = a.mean(dim=1)
        if residual:
            a = 0.5 * a + 0.5 * torch.eye(a.shape[-1], device=a.device, dtype=a.dtype)
            a = a / a.sum(dim=-1, keepdim=True)
        rollout = a if rollout is None else a @ rollout
    return rollout


def cls_attention_map(rollout: torch.Tensor, grid_shape: tuple[int, int]) -> torch.Tensor:
    """Row of the class token (token 0) over the patches, as ``(B, gh, gw)``."""
    gh, gw = grid_shape
    if rollout.shape[-1] != gh * gw + 1:
        raise ValueError(
            f"rollout has {rollout.shape[-1]} tokens, expected {gh * gw + 1} "
            f"(class token + {gh}x{gw} patches)."
        )
    return rollout[:, 0, 1:].reshape(-1, gh, gw)
