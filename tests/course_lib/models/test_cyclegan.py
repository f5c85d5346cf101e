"""Tests for course_lib.models.cyclegan: the LSGAN loss and one unpaired-translation step."""

import copy

import pytest
import torch
from torch import nn

from course_lib.models import PatchDiscriminator, UNetGenerator
from course_lib.models.cyclegan import cyclegan_training_step, least_squares_gan_loss


def _nets(seed=0):
    torch.manual_seed(seed)
    g_ab, g_ba = UNetGenerator(1, 1, channels=(4, 8)), UNetGenerator(1, 1, channels=(4, 8))
    d_a = PatchDiscriminator(1, base_channels=4, n_layers=2)
    d_b = PatchDiscriminator(1, base_channels=4, n_layers=2)
    return g_ab, g_ba, d_a, d_b


def _optimisers(g_ab, g_ba, d_a, d_b, lr=1e-3):
    opt_g = torch.optim.Adam([*g_ab.parameters(), *g_ba.parameters()], lr=lr)
    opt_d = torch.optim.Adam([*d_a.parameters(), *d_b.parameters()], lr=lr)
    return opt_g, opt_d


def test_least_squares_loss_values():
    logits = torch.tensor([0.0, 1.0, 3.0])
    assert float(least_squares_gan_loss(logits, True)) == pytest.approx((1 + 0 + 4) / 3)
    assert float(least_squares_gan_loss(logits, False)) == pytest.approx((0 + 1 + 9) / 3)


def test_one_step_moves_all_four_networks_and_reports_the_losses():
    nets = _nets()
    before = [copy.deepcopy(n) for n in nets]
    a, b = torch.rand(3, 1, 16, 16) * 2 - 1, torch.rand(5, 1, 16, 16) * 2 - 1  # unpaired sizes
    logs = cyclegan_training_step(*nets, a, b, *_optimisers(*nets), cycle_weight=10.0)
    for old, new in zip(before, nets):
        assert not all(torch.equal(p, q) for p, q in zip(old.parameters(), new.parameters()))
    assert set(logs) == {"g_adv", "cycle", "identity", "g_loss", "d_loss"}
    assert logs["identity"] == 0.0
    assert logs["g_loss"] == pytest.approx(logs["g_adv"] + 10.0 * logs["cycle"], rel=1e-5)


def test_losses_match_a_hand_computation():
    g_ab, g_ba, d_a, d_b = _nets(1)
    copies = [copy.deepcopy(n) for n in (g_ab, g_ba, d_a, d_b)]
    a, b = torch.rand(2, 1, 16, 16) * 2 - 1, torch.rand(2, 1, 16, 16) * 2 - 1
    logs = cyclegan_training_step(
        g_ab,
        g_ba,
        d_a,
        d_b,
        a,
        b,
        *_optimisers(g_ab, g_ba, d_a, d_b),
        cycle_weight=5.0,
        identity_weight=0.5,
    )
    G_ab, G_ba, D_a, D_b = copies
    with torch.no_grad():
        fb, fa = G_ab(a), G_ba(b)
        adv = ((D_b(fb) - 1) ** 2).mean() + ((D_a(fa) - 1) ** 2).mean()
        cycle = (G_ba(fb) - a).abs().mean() + (G_ab(fa) - b).abs().mean()
        identity = (G_ab(b) - b).abs().mean() + (G_ba(a) - a).abs().mean()
    assert logs["g_adv"] == pytest.approx(float(adv), rel=1e-5)
    assert logs["cycle"] == pytest.approx(float(cycle), rel=1e-5)
    assert logs["identity"] == pytest.approx(float(identity), rel=1e-5)
    assert logs["g_loss"] == pytest.approx(float(adv + 5.0 * (cycle + 0.5 * identity)), rel=1e-5)


def test_cycle_loss_falls_on_an_invertible_toy_pair():
    """Domain B is domain A with inverted intensities (smooth random images, drawn independently
    for the two domains); training must shrink the cycle error well below its start."""
    nets = _nets(2)
    opt_g, opt_d = _optimisers(*nets, lr=2e-3)
    g = torch.Generator().manual_seed(0)

    def smooth(n):
        coarse = torch.rand(n, 1, 4, 4, generator=g) * 2 - 1
        return nn.functional.interpolate(
            coarse, size=(16, 16), mode="bilinear", align_corners=False
        )

    cycles = [
        cyclegan_training_step(*nets, smooth(4), -smooth(4), opt_g, opt_d)["cycle"]
        for _ in range(60)
    ]
    assert sum(cycles[-10:]) / 10 < 0.6 * sum(cycles[:5]) / 5


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(cycle_weight=-1.0), "cycle_weight"),
        (dict(identity_weight=-0.1), "identity_weight"),
    ],
)
def test_bad_weights_are_refused(kwargs, message):
    nets = _nets()
    a = torch.zeros(1, 1, 16, 16)
    with pytest.raises(ValueError, match=message):
        cyclegan_training_step(*nets, a, a, *_optimisers(*nets), **kwargs)


def test_unbatched_images_are_refused():
    nets = _nets()
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        cyclegan_training_step(
            *nets, torch.zeros(1, 16, 16), torch.zeros(1, 1, 16, 16), *_optimisers(*nets)
        )
