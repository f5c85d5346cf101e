"""Convolutional auto-encoder and variational auto-encoder (chapter 09).

Anomaly detection by reconstruction (Rodriguez et al. 2022; Kmetzsch et al.
2019): a model trained on healthy anatomy only reconstructs healthy tissue
well and lesions badly, so the reconstruction error is an anomaly map.

Both models share one encoder/decoder layout: ``len(channels)`` stride-2
convolutions halve the image each time, so ``H`` and ``W`` must be multiples
of ``2 ** len(channels)`` (16 with the default four levels; e.g. 64x64 or
96x112). Two latent variants mirror the lecture's table columns:

* ``latent="spatial"`` (sAE / sVAE): a small latent *map*
  ``(latent_channels, H/16, W/16)`` that keeps a coarse spatial layout;
* ``latent="dense"`` (dVAE): a latent *vector* of ``latent_dim`` numbers
  obtained through a fully connected layer (needs ``image_size``).

The decoder has a linear output (no activation): images are assumed to be
intensity-normalised, and the reconstruction term of :func:`vae_loss` is a sum
of squared errors (a Gaussian likelihood with unit variance, up to a constant).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ._validation import check_choice, check_int, check_int_tuple, pair


class _ConvAutoEncoderBase(nn.Module):
    """Shared encoder/decoder construction for :class:`AutoEncoder` and :class:`VAE`."""

    _variational = False

    def __init__(
        self,
        in_channels: int = 1,
        latent: str = "spatial",
        latent_channels: int = 8,
        latent_dim: int = 64,
        image_size: int | Sequence[int] | None = None,
        channels: Sequence[int] = (16, 32, 64, 128),
        norm: str | None = "batch",
    ) -> None:
        super().__init__()
        in_channels = check_int("in_channels", in_channels)
        latent = check_choice("latent", latent, ("spatial", "dense"))
        latent_channels = check_int("latent_channels", latent_channels)
        latent_dim = check_int("latent_dim", latent_dim)
        channels = check_int_tuple("channels", channels, hint="e.g. (16, 32, 64, 128).")
        norm = check_choice("norm", norm, ("batch", None))
        m = 2 ** len(channels)
        size = None
        if image_size is not None:
            size = pair("image_size", image_size)
            if any(s % m for s in size):
                raise ValueError(
                    f"image_size={size} must be multiples of {m} "
                    f"(2 ** len(channels)); crop or pad, e.g. to 64x64 or 96x112."
                )
        elif latent == "dense":
            raise ValueError(
                "image_size is required when latent='dense' (the fully connected "
                "layer needs the feature-map size); e.g. image_size=(96, 112)."
            )
        self.config = {
            "in_channels": in_channels,
            "latent": latent,
            "latent_channels": latent_channels,
            "latent_dim": latent_dim,
            "image_size": size,
            "channels": channels,
            "norm": norm,
        }
        act = lambda: nn.LeakyReLU(0.2, inplace=True)  # noqa: E731
        bn = lambda c: nn.BatchNorm2d(c) if norm == "batch" else nn.Identity()  # noqa: E731
        enc: list[nn.Module] = []
        c_in = in_channels
        for c in channels:
            enc += [nn.Conv2d(c_in, c, 4, stride=2, padding=1), bn(c), act()]
            c_in = c
        self.encoder = nn.Sequential(*enc)
        dec: list[nn.Module] = []
        rev = list(reversed(channels))
        for c, c_next in zip(rev[:-1], rev[1:], strict=True):
            dec += [nn.ConvTranspose2d(c, c_next, 4, stride=2, padding=1), bn(c_next), act()]
        dec.append(nn.ConvTranspose2d(rev[-1], in_channels, 4, stride=2, padding=1))
        self.decoder = nn.Sequential(*dec)
        n_stats = 2 if self._variational else 1
        top = channels[-1]
        if latent == "spatial":
            self.to_latent = nn.Conv2d(top, n_stats * latent_channels, 1)
            self.from_latent = nn.Sequential(nn.Conv2d(latent_channels, top, 1), act())
        else:
            h, w = size[0] // m, size[1] // m
            self.to_latent = nn.Sequential(
                nn.Flatten(), nn.Linear(top * h * w, n_stats * latent_dim)
            )
            self.from_latent = nn.Sequential(
                nn.Linear(latent_dim, top * h * w), nn.Unflatten(1, (top, h, w)), act()
            )

    @property
    def latent_shape(self) -> tuple[int, ...]:
        """Shape of one latent code without the batch axis.

        ``(latent_dim,)`` for dense latents, ``(latent_channels, H/2**L, W/2**L)``
        for spatial ones (needs ``image_size``).
        """
        cfg = self.config
        if cfg["latent"] == "dense":
            return (cfg["latent_dim"],)
        if cfg["image_size"] is None:
            raise ValueError("latent_shape of a spatial model needs image_size at construction.")
        m = 2 ** len(cfg["channels"])
        return (cfg["latent_channels"], cfg["image_size"][0] // m, cfg["image_size"][1] // m)

    def _check_input(self, x: torch.Tensor) -> None:
        cfg = self.config
        m = 2 ** len(cfg["channels"])
        if x.ndim != 4 or x.shape[1] != cfg["in_channels"]:
            raise ValueError(
                f"x must have shape (B, {cfg['in_channels']}, H, W), got {tuple(x.shape)}."
            )
        if x.shape[2] % m or x.shape[3] % m:
            raise ValueError(
                f"H and W must be multiples of {m}, got {tuple(x.shape[2:])}; crop or pad."
            )
        if cfg["image_size"] is not None and tuple(x.shape[2:]) != cfg["image_size"]:
            raise ValueError(
                f"This model was built for image_size={cfg['image_size']}, "
                f"got {tuple(x.shape[2:])}."
            )

    def _encode_stats(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        return self.to_latent(self.encoder(x))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Map latent codes ``(B, *latent_shape)`` to images ``(B, C, H, W)``."""
        return self.decoder(self.from_latent(z))


class AutoEncoder(_ConvAutoEncoderBase):
    """Deterministic convolutional auto-encoder (the lecture's sAE).

    Parameters
    ----------
    in_channels : int, default 1
        Image channels.
    latent : {"spatial", "dense"}, default "spatial"
        Latent map or latent vector (see the module docstring).
    latent_channels : int, default 8
        Channels of a spatial latent map.
    latent_dim : int, default 64
        Length of a dense latent vector.
    image_size : int or (H, W), optional
        Required for ``latent="dense"``; when given, inputs must match it.
    channels : sequence of int, default (16, 32, 64, 128)
        Encoder feature maps; one stride-2 convolution per entry.
    norm : {"batch", None}, default "batch"
        Batch normalisation in encoder and decoder.

    Notes
    -----
    Shapes: ``(B, C, H, W) -> (B, C, H, W)``; ``encode`` gives ``(B, *latent_shape)``.

    References
    ----------
    .. [1] G. E. Hinton, R. R. Salakhutdinov, "Reducing the dimensionality of
       data with neural networks", Science 313, 2006. doi:10.1126/science.1127647
    .. [2] Kmetzsch et al., 2019: region-wise ROC AUC of U-Net, sAE, sVAE and
       dVAE for Parkinson's disease (table cited in the lecture).
    """

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent code ``(B, *latent_shape)`` of images ``(B, C, H, W)``."""
        return self._encode_stats(x)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction ``decode(encode(x))``, shape ``(B, C, H, W)``."""
        return self.decode(self.encode(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction of ``x`` ``(B, C, H, W)``."""
        return self.reconstruct(x)


class VAE(_ConvAutoEncoderBase):
    """Convolutional variational auto-encoder (the lecture's sVAE / dVAE).

    The encoder predicts a Gaussian posterior ``q(z|x) = N(mu, diag(exp(logvar)))``;
    training samples ``z = mu + exp(logvar / 2) * eps`` with ``eps ~ N(0, I)``
    (the reparameterisation trick, which lets gradients flow through the
    sampling) and minimises the negative ELBO with :func:`vae_loss`.

    Parameters are those of :class:`AutoEncoder`.

    Notes
    -----
    ``forward`` returns ``(reconstruction, mu, logvar)``; in eval mode it uses
    ``z = mu`` (no sampling), as does :meth:`reconstruct`.

    References
    ----------
    .. [1] D. P. Kingma, M. Welling, "Auto-encoding variational Bayes",
       ICLR 2014. arXiv:1312.6114
    .. [2] I. Higgins et al., "beta-VAE: learning basic visual concepts with a
       constrained variational framework", ICLR 2017.
    .. [3] Rodriguez et al., Medical Image Analysis, 2022: VAE anomaly
       detection (as cited in the lecture).
    """

    _variational = True

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior mean and log-variance, each ``(B, *latent_shape)``."""
        stats = self._encode_stats(x)
        mu, logvar = stats.chunk(2, dim=1)
        return mu, logvar

    @staticmethod
    def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """Sample ``z = mu + exp(logvar / 2) * eps``, ``eps ~ N(0, I)``."""
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return ``(reconstruction (B, C, H, W), mu, logvar)``."""
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar) if self.training else mu
        return self.decode(z), mu, logvar

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Deterministic reconstruction from the posterior mean, ``(B, C, H, W)``."""
        return self.decode(self.encode(x)[0])

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decode ``n`` draws from the prior ``N(0, I)``: images ``(n, C, H, W)``.

        Needs ``image_size`` for spatial latents (the latent map size).
        """
        n = check_int("n", n)
        ref = next(self.parameters())
        z = torch.randn(
            (n, *self.latent_shape), generator=generator, device=ref.device, dtype=ref.dtype
        )
        return self.decode(z)


def vae_loss(
    reconstruction: torch.Tensor,
    x: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    beta: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Negative ELBO of a Gaussian VAE, averaged over the batch.

    Parameters
    ----------
    reconstruction, x : torch.Tensor, shape (B, C, H, W)
        Decoder output and input images.
    mu, logvar : torch.Tensor, shape (B, *latent_shape)
        Posterior parameters from :meth:`VAE.encode`.
    beta : float, default 1.0
        Weight of the KL term (``beta > 1`` gives a beta-VAE).

    Returns
    -------
    total, reconstruction, kl : torch.Tensor (scalars)
        ``reconstruction`` is the per-image *sum* of squared errors and ``kl``
        the per-image sum of ``KL(N(mu, sigma^2) || N(0, 1))``
        ``= -1/2 * sum(1 + logvar - mu^2 - exp(logvar))``, both averaged over
        the batch; ``total = reconstruction + beta * kl``. Summing (not
        averaging) over pixels keeps the two terms on the ELBO's scale; a
        per-pixel mean would make the KL term dominate and collapse the
        posterior.
    """
    if reconstruction.shape != x.shape:
        raise ValueError(
            f"reconstruction {tuple(reconstruction.shape)} and x {tuple(x.shape)} "
            "must have the same shape."
        )
    if beta < 0:
        raise ValueError(f"beta must be >= 0, got {beta}.")
    b = x.shape[0]
    recon = (reconstruction - x).pow(2).reshape(b, -1).sum(1).mean()
    kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).reshape(b, -1).sum(1).mean()
    return recon + beta * kl, recon, kl
