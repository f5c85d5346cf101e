"""DCGAN generator and discriminator, and one GAN training step (chapter 07a).

Goodfellow's minimax game: a generator ``G`` maps noise ``z ~ N(0, I)`` to
images, a discriminator ``D`` scores images as real or generated; ``D`` is
trained to tell them apart, ``G`` to fool ``D``. The DCGAN recipe (Radford et
al. 2016) makes this stable for images: strided (transposed) convolutions
instead of pooling, batch normalisation, ReLU in ``G`` with a ``tanh``
output (so real images must be scaled to ``[-1, 1]``), LeakyReLU(0.2) in
``D``, and weights drawn from ``N(0, 0.02)``.

Conditional image-to-image translation (pix2pix) lives in :mod:`.pix2pix`.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ._validation import check_int


def dcgan_weights_init(module: nn.Module) -> None:
    """DCGAN initialisation, for ``model.apply(dcgan_weights_init)``.

    Convolution weights ~ ``N(0, 0.02)``; batch-norm scales ~ ``N(1, 0.02)``;
    biases 0 (Radford et al. 2016, section 4).
    """
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm2d, nn.InstanceNorm2d)) and module.weight is not None:
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def _n_stages(image_size: int) -> int:
    """Number of factor-2 resolution changes between 4x4 and ``image_size``."""
    size = check_int("image_size", image_size, minimum=8)
    n = size.bit_length() - 1
    if 2**n != size:
        raise ValueError(
            f"image_size must be a power of two >= 8 (e.g. 32, 64), got {size}; "
            "resize or crop the images."
        )
    return n - 2


class Generator(nn.Module):
    """DCGAN generator: latent vector to image in ``[-1, 1]``.

    Parameters
    ----------
    latent_dim : int, default 100
        Length of the noise vector ``z``.
    out_channels : int, default 1
        Image channels.
    image_size : int, default 64
        Square output size, a power of two >= 8.
    base_channels : int, default 64
        Feature maps of the last hidden layer; earlier layers have
        ``base_channels * 2**k``.

    Attributes
    ----------
    config : dict
        The construction arguments, stored with checkpoints.

    Notes
    -----
    Shapes: ``z (B, latent_dim)`` (or ``(B, latent_dim, 1, 1)``) ->
    ``(B, out_channels, image_size, image_size)``.

    References
    ----------
    .. [1] A. Radford, L. Metz, S. Chintala, "Unsupervised representation
       learning with deep convolutional generative adversarial networks",
       ICLR 2016. arXiv:1511.06434
    .. [2] I. Goodfellow et al., "Generative adversarial nets", NeurIPS 2014.
       arXiv:1406.2661
    """

    def __init__(
        self,
        latent_dim: int = 100,
        out_channels: int = 1,
        image_size: int = 64,
        base_channels: int = 64,
    ) -> None:
        super().__init__()
        latent_dim = check_int("latent_dim", latent_dim)
        out_channels = check_int("out_channels", out_channels)
        n = _n_stages(image_size)
        base_channels = check_int("base_channels", base_channels)
        self.config = {
            "latent_dim": latent_dim,
            "out_channels": out_channels,
            "image_size": int(image_size),
            "base_channels": base_channels,
        }
        c = base_channels * 2 ** (n - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(latent_dim, c, 4, 1, 0, bias=False),  # 1x1 -> 4x4
            nn.BatchNorm2d(c),
            nn.ReLU(True),
        ]
        for _ in range(n - 1):
            layers += [
                nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(c // 2),
                nn.ReLU(True),
            ]
            c //= 2
        layers += [nn.ConvTranspose2d(c, out_channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_weights_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Images ``(B, C, S, S)`` in ``[-1, 1]`` from noise ``(B, latent_dim)``."""
        if z.ndim == 2:
            z = z[:, :, None, None]
        if z.ndim != 4 or z.shape[1:] != (self.config["latent_dim"], 1, 1):
            raise ValueError(
                f"z must have shape (B, {self.config['latent_dim']}), got {tuple(z.shape)}."
            )
        return self.net(z)

    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Noise ``(n, latent_dim)`` from ``N(0, I)`` on the model's device."""
        ref = next(self.parameters())
        return torch.randn(
            n, self.config["latent_dim"], generator=generator, device=ref.device, dtype=ref.dtype
        )


class Discriminator(nn.Module):
    """DCGAN discriminator: image to one real-vs-fake logit.

    Parameters
    ----------
    in_channels : int, default 1
        Image channels.
    image_size : int, default 64
        Square input size, a power of two >= 8.
    base_channels : int, default 64
        Feature maps of the first layer, doubled at each stride-2 layer.

    Attributes
    ----------
    config : dict
        The construction arguments, stored with checkpoints.

    Notes
    -----
    Shapes: ``(B, C, S, S) -> (B,)`` logits (sigmoid inside
    :class:`torch.nn.BCEWithLogitsLoss`). No batch norm on the first layer,
    as in the paper.

    References
    ----------
    .. [1] A. Radford, L. Metz, S. Chintala, ICLR 2016. arXiv:1511.06434
    """

    def __init__(self, in_channels: int = 1, image_size: int = 64, base_channels: int = 64) -> None:
        super().__init__()
        in_channels = check_int("in_channels", in_channels)
        n = _n_stages(image_size)
        base_channels = check_int("base_channels", base_channels)
        self.config = {
            "in_channels": in_channels,
            "image_size": int(image_size),
            "base_channels": base_channels,
        }
        c = base_channels
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, c, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, True),
        ]
        for _ in range(n - 1):
            layers += [
                nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False),
                nn.BatchNorm2d(2 * c),
                nn.LeakyReLU(0.2, True),
            ]
            c *= 2
        layers.append(nn.Conv2d(c, 1, 4, 1, 0, bias=False))  # 4x4 -> 1x1
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_weights_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B,)`` for images ``(B, C, S, S)``."""
        s = self.config["image_size"]
        if x.ndim != 4 or x.shape[1:] != (self.config["in_channels"], s, s):
            raise ValueError(
                f"x must have shape (B, {self.config['in_channels']}, {s}, {s}), "
                f"got {tuple(x.shape)}."
            )
        return self.net(x).flatten()


def gan_training_step(
    generator: Generator,
    discriminator: nn.Module,
    real: torch.Tensor,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    noise: torch.Tensor | None = None,
) -> dict[str, float]:
    """One alternating update of ``D`` then ``G`` on a batch of real images.

    ``D`` minimises ``BCE(D(x), 1) + BCE(D(G(z)), 0)``; ``G`` minimises the
    non-saturating loss ``BCE(D(G(z)), 1)`` (Goodfellow et al. 2014, section 3),
    which gives stronger gradients early in training than ``-BCE(D(G(z)), 0)``.

    Parameters
    ----------
    generator, discriminator : torch.nn.Module
        Both in train mode, on the same device as ``real``.
    real : torch.Tensor, shape (B, C, S, S)
        Real images scaled to ``[-1, 1]``.
    opt_g, opt_d : torch.optim.Optimizer
        Optimisers of ``G`` and ``D`` (DCGAN: Adam, lr 2e-4, betas (0.5, 0.999)).
    noise : torch.Tensor, shape (B, latent_dim), optional
        Latent vectors; drawn from ``N(0, I)`` with the global RNG if omitted.

    Returns
    -------
    dict of str to float
        ``d_loss``, ``g_loss``, and ``d_real`` / ``d_fake``: mean probabilities
        ``D`` gives to real and generated images (before its update).
    """
    if noise is None:
        noise = generator.sample_noise(real.shape[0])
    fake = generator(noise)
    # --- discriminator step: real -> 1, fake -> 0 (fake detached: G is not updated)
    opt_d.zero_grad(set_to_none=True)
    logit_real = discriminator(real)
    logit_fake = discriminator(fake.detach())
    d_loss = F.binary_cross_entropy_with_logits(
        logit_real, torch.ones_like(logit_real)
    ) + F.binary_cross_entropy_with_logits(logit_fake, torch.zeros_like(logit_fake))
    d_loss.backward()
    opt_d.step()
    # --- generator step: make D call the fakes real
    opt_g.zero_grad(set_to_none=True)
    logit = discriminator(fake)
    g_loss = F.binary_cross_entropy_with_logits(logit, torch.ones_like(logit))
    g_loss.backward()
    opt_g.step()
    return {
        "d_loss": float(d_loss.detach()),
        "g_loss": float(g_loss.detach()),
        "d_real": float(torch.sigmoid(logit_real).mean().detach()),
        "d_fake": float(torch.sigmoid(logit_fake).mean().detach()),
    }
