"""pix2pix: conditional GAN for paired image-to-image translation (chapter 07b).

The generator translates a source image (e.g. T1w) into a target contrast
(e.g. T2w, or CT in the lecture's MR-to-CT example); the discriminator sees
*pairs* ``(source, image)`` and judges, patch by patch, whether the image is
the real target of that source. The generator minimises an adversarial term
plus ``lambda * L1`` to the real target: L1 alone gives blurry but correctly
placed intensities, the adversarial term adds realistic texture.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from ._validation import check_choice, check_int
from .gan import dcgan_weights_init
from .unet import UNet


class UNetGenerator(nn.Module):
    """pix2pix generator: a 2-D :class:`~course_lib.models.UNet` with a ``tanh`` output.

    Parameters
    ----------
    in_channels : int
        Source channels.
    out_channels : int
        Target channels.
    channels : sequence of int, default (32, 64, 128, 256)
        U-Net feature maps per level (sizes must be multiples of
        ``2 ** (len(channels) - 1)``, or are padded, see :class:`UNet`).
    norm : {"batch", "instance", None}, default "batch"
        Normalisation in the U-Net.
    dropout : float, default 0.0
        Dropout in the U-Net blocks (pix2pix uses dropout as its noise source).
    output_activation : {"tanh", None}, default "tanh"
        ``"tanh"`` for targets scaled to ``[-1, 1]`` as in the paper; ``None``
        for an unbounded (linear) output.

    Attributes
    ----------
    config : dict
        The construction arguments, stored with checkpoints.

    Notes
    -----
    Shapes: ``(B, in_channels, H, W) -> (B, out_channels, H, W)``.

    References
    ----------
    .. [1] P. Isola, J.-Y. Zhu, T. Zhou, A. A. Efros, "Image-to-image
       translation with conditional adversarial networks", CVPR 2017.
       doi:10.1109/CVPR.2017.632
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        channels: Sequence[int] = (32, 64, 128, 256),
        norm: str | None = "batch",
        dropout: float = 0.0,
        output_activation: str | None = "tanh",
    ) -> None:
        super().__init__()
        output_activation = check_choice("output_activation", output_activation, ("tanh", None))
        self.unet = UNet(
            2, in_channels, out_channels, channels=channels, norm=norm, dropout=dropout
        )
        cfg = self.unet.config
        self.config = {
            "in_channels": cfg["in_channels"],
            "out_channels": cfg["out_channels"],
            "channels": cfg["channels"],
            "norm": cfg["norm"],
            "dropout": cfg["dropout"],
            "output_activation": output_activation,
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Translated images ``(B, out_channels, H, W)``."""
        y = self.unet(x)
        return torch.tanh(y) if self.config["output_activation"] == "tanh" else y


class PatchDiscriminator(nn.Module):
    """PatchGAN discriminator: one real/fake logit per overlapping image patch.

    Layers (all 4x4 convolutions, LeakyReLU 0.2): a stride-2 layer with
    ``base_channels`` maps and no normalisation, ``n_layers - 1`` further
    stride-2 layers doubling the maps (at most 8x), one stride-1 layer, and a
    stride-1 output convolution to 1 channel. With ``n_layers=3`` each output
    sees a 70x70 input patch (the paper's choice); ``n_layers=2`` sees 34x34,
    better suited to 64x64 or 96x112 slices. Check with
    :func:`course_lib.models.receptive_field`.

    Parameters
    ----------
    in_channels : int
        Channels of the concatenated pair (source + target channels).
    base_channels : int, default 64
        Feature maps of the first layer.
    n_layers : int, default 3
        Number of stride-2 convolutions.
    norm : {"batch", "instance", None}, default "batch"
        Normalisation after every layer except the first and the last.

    Attributes
    ----------
    config : dict
        The construction arguments, stored with checkpoints.

    Notes
    -----
    Shapes: ``(B, in_channels, H, W) -> (B, 1, H', W')`` logits with
    ``H' = H / 2**n_layers - 2`` (e.g. 64 -> 6 for ``n_layers=3``).

    References
    ----------
    .. [1] P. Isola et al., CVPR 2017, section 3.2.2 and appendix 6.1.2.
       doi:10.1109/CVPR.2017.632
    """

    def __init__(
        self,
        in_channels: int,
        base_channels: int = 64,
        n_layers: int = 3,
        norm: str | None = "batch",
    ) -> None:
        super().__init__()
        in_channels = check_int("in_channels", in_channels, hint="source + target channels.")
        base_channels = check_int("base_channels", base_channels)
        n_layers = check_int("n_layers", n_layers)
        norm = check_choice("norm", norm, ("batch", "instance", None))
        self.config = {
            "in_channels": in_channels,
            "base_channels": base_channels,
            "n_layers": n_layers,
            "norm": norm,
        }

        def normed(c: int) -> nn.Module:
            if norm == "batch":
                return nn.BatchNorm2d(c)
            return nn.InstanceNorm2d(c, affine=True) if norm == "instance" else nn.Identity()

        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, base_channels, 4, 2, 1),
            nn.LeakyReLU(0.2, True),
        ]
        c = base_channels
        for i in range(1, n_layers + 1):
            c_out = base_channels * min(2**i, 8)
            stride = 2 if i < n_layers else 1
            layers += [nn.Conv2d(c, c_out, 4, stride, 1), normed(c_out), nn.LeakyReLU(0.2, True)]
            c = c_out
        layers.append(nn.Conv2d(c, 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_weights_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Patch logits ``(B, 1, H', W')`` for pairs ``(B, in_channels, H, W)``."""
        if x.ndim != 4 or x.shape[1] != self.config["in_channels"]:
            raise ValueError(
                f"x must have shape (B, {self.config['in_channels']}, H, W) "
                f"(source and target concatenated on dim 1), got {tuple(x.shape)}."
            )
        return self.net(x)


def pix2pix_training_step(
    generator: nn.Module,
    discriminator: nn.Module,
    source: torch.Tensor,
    target: torch.Tensor,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    l1_weight: float = 100.0,
) -> dict[str, float]:
    """One pix2pix update of the discriminator, then of the generator.

    ``D`` minimises ``0.5 * [BCE(D(s, t), 1) + BCE(D(s, G(s)), 0)]`` over all
    patch logits; ``G`` minimises ``BCE(D(s, G(s)), 1) + l1_weight * |G(s) - t|``
    (mean absolute error per pixel; ``l1_weight = 100`` as in the paper).

    Parameters
    ----------
    generator, discriminator : torch.nn.Module
        E.g. :class:`UNetGenerator` and :class:`PatchDiscriminator` (whose
        ``in_channels`` is source + target channels).
    source, target : torch.Tensor, shape (B, Cs, H, W) and (B, Ct, H, W)
        Paired images, scaled like the generator output (``[-1, 1]`` for tanh).
    opt_g, opt_d : torch.optim.Optimizer
        Optimisers (paper: Adam, lr 2e-4, betas (0.5, 0.999)).
    l1_weight : float, default 100.0
        Weight ``lambda`` of the L1 term.

    Returns
    -------
    dict of str to float
        ``d_loss``, ``g_adv`` (adversarial term), ``g_l1`` (mean absolute
        error, before the update) and ``g_loss`` (``g_adv + l1_weight * g_l1``).
    """
    if source.shape[0] != target.shape[0] or source.shape[2:] != target.shape[2:]:
        raise ValueError(
            f"source {tuple(source.shape)} and target {tuple(target.shape)} must share "
            "batch size and spatial size."
        )
    if l1_weight < 0:
        raise ValueError(f"l1_weight must be >= 0, got {l1_weight}.")
    fake = generator(source)
    opt_d.zero_grad(set_to_none=True)
    logit_real = discriminator(torch.cat([source, target], dim=1))
    logit_fake = discriminator(torch.cat([source, fake.detach()], dim=1))
    d_loss = 0.5 * (
        F.binary_cross_entropy_with_logits(logit_real, torch.ones_like(logit_real))
        + F.binary_cross_entropy_with_logits(logit_fake, torch.zeros_like(logit_fake))
    )
    d_loss.backward()
    opt_d.step()
    opt_g.zero_grad(set_to_none=True)
    logit = discriminator(torch.cat([source, fake], dim=1))
    g_adv = F.binary_cross_entropy_with_logits(logit, torch.ones_like(logit))
    g_l1 = (fake - target).abs().mean()
    g_loss = g_adv + l1_weight * g_l1
    g_loss.backward()
    opt_g.step()
    return {
        "d_loss": float(d_loss.detach()),
        "g_adv": float(g_adv.detach()),
        "g_l1": float(g_l1.detach()),
        "g_loss": float(g_loss.detach()),
    }
