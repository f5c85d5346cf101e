"""CycleGAN: unpaired image-to-image translation (chapter 07b).

pix2pix (:mod:`.pix2pix`) needs *pairs*: the same slice of the same patient in both
contrasts. Two scanners, or MR and CT, rarely come in pairs. CycleGAN (Zhu et al. 2017)
learns from two unpaired sets of images, ``A`` (e.g. T1w slices of some subjects) and ``B``
(T2w slices of *other* subjects), with

* two generators, ``G_AB: A -> B`` and ``G_BA: B -> A``;
* two discriminators, ``D_B`` (real B vs ``G_AB(a)``) and ``D_A`` (real A vs ``G_BA(b)``);
* a **cycle-consistency** loss ``|G_BA(G_AB(a)) - a|_1 + |G_AB(G_BA(b)) - b|_1``: a translation
  followed by the reverse translation must give the input back. Without it, ``G_AB`` could map
  every ``a`` to any realistic B image; with it, ``G_AB(a)`` must keep enough of ``a`` to
  rebuild it.

Nothing forces ``G_AB(a)`` to be *this patient's* B image: the adversarial loss asks for a
realistic image, the cycle loss for an invertible one. A translation that preserves anatomy but
gets the contrast slightly wrong, or that invents plausible structures, satisfies both; this is
why unpaired translation must be checked against paired ground truth where some exists
(chapter 07b does, on held-out subjects scanned in both contrasts).

The adversarial terms use least squares (LSGAN, Mao et al. 2017), as in the CycleGAN paper:
``D`` minimises ``[(D(real) - 1)^2 + D(fake)^2] / 2``, ``G`` minimises ``(D(G(x)) - 1)^2``.
The paper's history buffer of 50 generated images and its ResNet generator are left out:
the chapter reuses :class:`~course_lib.models.UNetGenerator` and
:class:`~course_lib.models.PatchDiscriminator`.

References
----------
.. [1] J.-Y. Zhu, T. Park, P. Isola, A. A. Efros, "Unpaired image-to-image translation using
   cycle-consistent adversarial networks", ICCV 2017. doi:10.1109/ICCV.2017.244
.. [2] X. Mao et al., "Least squares generative adversarial networks", ICCV 2017.
   doi:10.1109/ICCV.2017.304
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["least_squares_gan_loss", "cyclegan_training_step"]


def least_squares_gan_loss(logits: torch.Tensor, real: bool) -> torch.Tensor:
    """LSGAN loss: mean of ``(logits - 1)^2`` for ``real=True``, of ``logits^2`` otherwise."""
    return F.mse_loss(logits, torch.ones_like(logits) if real else torch.zeros_like(logits))


def cyclegan_training_step(
    g_ab: nn.Module,
    g_ba: nn.Module,
    d_a: nn.Module,
    d_b: nn.Module,
    real_a: torch.Tensor,
    real_b: torch.Tensor,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    cycle_weight: float = 10.0,
    identity_weight: float = 0.0,
) -> dict[str, float]:
    """One CycleGAN update: both generators, then both discriminators.

    Parameters
    ----------
    g_ab, g_ba : torch.nn.Module
        Generators ``A -> B`` and ``B -> A`` (e.g. :class:`UNetGenerator`), outputs scaled like
        the inputs (``[-1, 1]`` with ``tanh``).
    d_a, d_b : torch.nn.Module
        Discriminators of domain A and domain B images (e.g. :class:`PatchDiscriminator` with
        ``in_channels`` = the image channels; they see single images, not pairs).
    real_a, real_b : torch.Tensor, shape (B, C, H, W)
        A batch from each domain. They need *not* be paired (different subjects, any order);
        the two batch sizes may differ.
    opt_g : torch.optim.Optimizer
        Over the parameters of both generators.
    opt_d : torch.optim.Optimizer
        Over the parameters of both discriminators.
    cycle_weight : float, default 10.0
        Weight ``lambda`` of the cycle-consistency terms (paper: 10).
    identity_weight : float, default 0.0
        Weight of ``|G_AB(b) - b|_1 + |G_BA(a) - a|_1`` (relative to ``cycle_weight``, as in the
        paper's code); meant for domains that share a colour scale, so 0 for T1w <-> T2w,
        whose contrasts differ.

    Returns
    -------
    dict of str to float
        ``g_adv`` (both generators' adversarial terms), ``cycle`` (both L1 cycle terms, before
        weighting), ``identity``, ``g_loss`` (the total the generators minimised) and ``d_loss``
        (both discriminators).
    """
    if cycle_weight < 0 or identity_weight < 0:
        raise ValueError(
            f"cycle_weight and identity_weight must be >= 0, got {cycle_weight} "
            f"and {identity_weight}."
        )
    if real_a.ndim != 4 or real_b.ndim != 4:
        raise ValueError(
            f"real_a and real_b must be (B, C, H, W) batches, got shapes "
            f"{tuple(real_a.shape)} and {tuple(real_b.shape)}."
        )
    # --- generators: fool both discriminators and close both cycles
    opt_g.zero_grad(set_to_none=True)
    fake_b, fake_a = g_ab(real_a), g_ba(real_b)
    g_adv = least_squares_gan_loss(d_b(fake_b), True) + least_squares_gan_loss(d_a(fake_a), True)
    cycle = (g_ba(fake_b) - real_a).abs().mean() + (g_ab(fake_a) - real_b).abs().mean()
    identity = torch.zeros((), device=real_a.device)
    if identity_weight > 0:
        identity = (g_ab(real_b) - real_b).abs().mean() + (g_ba(real_a) - real_a).abs().mean()
    g_loss = g_adv + cycle_weight * (cycle + identity_weight * identity)
    g_loss.backward()
    opt_g.step()
    # --- discriminators: real -> 1, generated -> 0 (generated images detached)
    opt_d.zero_grad(set_to_none=True)
    d_loss = 0.5 * (
        least_squares_gan_loss(d_b(real_b), True)
        + least_squares_gan_loss(d_b(fake_b.detach()), False)
        + least_squares_gan_loss(d_a(real_a), True)
        + least_squares_gan_loss(d_a(fake_a.detach()), False)
    )
    d_loss.backward()
    opt_d.step()
    return {
        "g_adv": float(g_adv.detach()),
        "cycle": float(cycle.detach()),
        "identity": float(identity.detach()),
        "g_loss": float(g_loss.detach()),
        "d_loss": float(d_loss.detach()),
    }
