"""Self-attention written from scratch (chapter 10).

A convolution mixes information only within its kernel: a CNN relates two
distant pixels only after enough layers for its receptive field to cover
both. Attention relates *every* pair of positions in one layer, with weights
computed from the input itself (so they change at inference time), which is
the lecture's "beyond CNN" argument.

Shapes use ``B`` (batch), ``N`` or ``L``/``S`` (number of tokens: queries /
keys), ``D`` (model width), ``h`` (heads).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ._validation import check_int, check_probability


def scaled_dot_product_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Attention ``softmax(q k^T / sqrt(E) + mask) v``, from scratch.

    Parameters
    ----------
    q : torch.Tensor, shape (..., L, E)
        Queries.
    k : torch.Tensor, shape (..., S, E)
        Keys.
    v : torch.Tensor, shape (..., S, Ev)
        Values.
    mask : torch.Tensor, optional, broadcastable to (..., L, S)
        Same convention as :func:`torch.nn.functional.scaled_dot_product_attention`:
        a boolean mask is ``True`` where a query *may* attend to a key (a
        ``False`` entry gets weight 0); a float mask is added to the scores
        (use ``-inf`` to forbid). Every query must be allowed at least one key.

    Returns
    -------
    output : torch.Tensor, shape (..., L, Ev)
        Weighted sums of the values.
    weights : torch.Tensor, shape (..., L, S)
        Attention weights; each row sums to 1.

    References
    ----------
    .. [1] A. Vaswani et al., "Attention is all you need", NeurIPS 2017.
       arXiv:1706.03762
    """
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"q and k must share the last dimension E, got {q.shape[-1]} and {k.shape[-1]}."
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"k and v must have the same number of tokens S, got {k.shape[-2]} and {v.shape[-2]}."
        )
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, float("-inf"))
        else:
            scores = scores + mask
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


class MultiHeadSelfAttention(nn.Module):
    """Multi-head self-attention, from scratch; returns the attention weights too.

    The input is projected to queries, keys and values by one linear layer
    (``qkv``, weight ``(3D, D)`` stacked as q, k, v, the same layout as
    :class:`torch.nn.MultiheadAttention`'s ``in_proj_weight``), split into
    ``n_heads`` heads of width ``D / n_heads``, attended per head and
    recombined by the output projection ``proj``.

    Parameters
    ----------
    dim : int
        Token width ``D``.
    n_heads : int
        Number of heads; must divide ``dim``.
    dropout : float, default 0.0
        Dropout on the attention weights during training.

    Notes
    -----
    Shapes: ``x (B, N, D) -> (output (B, N, D), weights (B, n_heads, N, N))``.

    References
    ----------
    .. [1] A. Vaswani et al., "Attention is all you need", NeurIPS 2017.
       arXiv:1706.03762
    """

    def __init__(self, dim: int, n_heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        dim = check_int("dim", dim)
        n_heads = check_int("n_heads", n_heads)
        if dim % n_heads:
            divisors = [h for h in range(1, dim + 1) if dim % h == 0]
            raise ValueError(
                f"n_heads={n_heads} must divide dim={dim}; choose n_heads in "
                f"{divisors[:8]} or change dim."
            )
        self.dim, self.n_heads = dim, n_heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(check_probability("dropout", dropout))

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend ``x (B, N, D)``; ``mask`` as in :func:`scaled_dot_product_attention`."""
        if x.ndim != 3 or x.shape[-1] != self.dim:
            raise ValueError(f"x must have shape (B, N, {self.dim}), got {tuple(x.shape)}.")
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.n_heads, d // self.n_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (B, h, N, d/h)
        out, weights = scaled_dot_product_attention(q, k, v, mask)
        if self.training and self.dropout.p > 0:
            # dropout on the weights: recompute the weighted sum
            out = self.dropout(weights) @ v
        out = out.transpose(1, 2).reshape(b, n, d)
        return self.proj(out), weights


class TransformerBlock(nn.Module):
    """Pre-norm transformer encoder block: attention and MLP, each with a residual.

    ``x = x + MHSA(LayerNorm(x))`` then ``x = x + MLP(LayerNorm(x))``, the MLP
    being ``Linear(D, mlp_dim) -> GELU -> Linear(mlp_dim, D)``.

    Parameters
    ----------
    dim : int
        Token width ``D``.
    n_heads : int
        Attention heads (divides ``dim``).
    mlp_dim : int
        Hidden width of the MLP.
    dropout : float, default 0.0
        Dropout in attention and MLP during training.

    Notes
    -----
    Shapes: ``x (B, N, D) -> (x (B, N, D), weights (B, n_heads, N, N))``.

    References
    ----------
    .. [1] A. Dosovitskiy et al., "An image is worth 16x16 words: transformers
       for image recognition at scale", ICLR 2021. arXiv:2010.11929
    """

    def __init__(self, dim: int, n_heads: int, mlp_dim: int, dropout: float = 0.0) -> None:
        super().__init__()
        mlp_dim = check_int("mlp_dim", mlp_dim)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = MultiHeadSelfAttention(dim, n_heads, dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, mlp_dim),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(mlp_dim, dim),
            nn.Dropout(dropout),
        )

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the updated tokens ``(B, N, D)`` and the attention weights."""
        a, weights = self.attn(self.norm1(x), mask)
        x = x + a
        x = x + self.mlp(self.norm2(x))
        return x, weights
