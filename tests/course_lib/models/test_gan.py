"""Tests for course_lib.models.gan and pix2pix."""

import pytest
import torch

from course_lib.models import (
    Discriminator,
    Generator,
    PatchDiscriminator,
    UNetGenerator,
    gan_training_step,
    pix2pix_training_step,
)


@pytest.mark.parametrize("size", [32, 64])
def test_dcgan_shapes(size):
    torch.manual_seed(0)
    g = Generator(latent_dim=8, out_channels=2, image_size=size, base_channels=4)
    d = Discriminator(in_channels=2, image_size=size, base_channels=4)
    z = g.sample_noise(3)
    images = g(z)
    assert images.shape == (3, 2, size, size)
    assert images.abs().max() <= 1.0
    assert d(images).shape == (3,)
    assert g(z[:, :, None, None]).shape == images.shape


def test_dcgan_weight_init():
    torch.manual_seed(0)
    g = Generator(latent_dim=64, base_channels=32)
    w = g.net[0].weight
    assert abs(w.std().item() - 0.02) < 0.002 and abs(w.mean().item()) < 0.002


def test_dcgan_bad_arguments():
    with pytest.raises(ValueError, match="image_size must be a power of two"):
        Generator(image_size=48)
    with pytest.raises(ValueError, match="latent_dim"):
        Generator(latent_dim=0)
    with pytest.raises(ValueError, match=r"\(B, 1, 32, 32\)"):
        Discriminator(image_size=32, base_channels=4)(torch.randn(2, 1, 64, 64))


def test_gan_training_step_updates_both_networks():
    torch.manual_seed(0)
    g = Generator(latent_dim=8, image_size=16, base_channels=4)
    d = Discriminator(image_size=16, base_channels=4)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    g0, d0 = g.net[0].weight.clone(), d.net[0].weight.clone()
    real = torch.rand(4, 1, 16, 16) * 2 - 1
    stats = gan_training_step(g, d, real, opt_g, opt_d)
    assert set(stats) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(torch.isfinite(torch.tensor(v)) for v in stats.values())
    assert not torch.equal(g0, g.net[0].weight) and not torch.equal(d0, d.net[0].weight)


def test_discriminator_learns_to_separate():
    # with G fixed (lr 0), D must learn to tell constant +0.8 images from G's output
    torch.manual_seed(0)
    g = Generator(latent_dim=8, image_size=16, base_channels=4)
    d = Discriminator(image_size=16, base_channels=4)
    opt_g = torch.optim.SGD(g.parameters(), lr=0.0)
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-3)
    real = torch.full((8, 1, 16, 16), 0.8)
    noise = g.sample_noise(8)
    first = gan_training_step(g, d, real, opt_g, opt_d, noise)
    for _ in range(30):
        last = gan_training_step(g, d, real, opt_g, opt_d, noise)
    assert last["d_loss"] < 0.5 * first["d_loss"]
    assert last["d_real"] > last["d_fake"]


def test_patch_discriminator_shapes():
    torch.manual_seed(0)
    d = PatchDiscriminator(2, base_channels=4, n_layers=3)
    assert d(torch.randn(2, 2, 64, 64)).shape == (2, 1, 6, 6)
    d2 = PatchDiscriminator(3, base_channels=4, n_layers=2, norm="instance")
    assert d2(torch.randn(2, 3, 96, 112)).shape == (2, 1, 22, 26)
    with pytest.raises(ValueError, match="concatenated"):
        d(torch.randn(2, 1, 64, 64))


def test_unet_generator_shapes():
    torch.manual_seed(0)
    g = UNetGenerator(1, 2, channels=(4, 8, 16))
    y = g(torch.randn(2, 1, 24, 20))
    assert y.shape == (2, 2, 24, 20) and y.abs().max() <= 1.0
    linear = UNetGenerator(1, 1, channels=(4, 8), output_activation=None)
    assert linear.config["output_activation"] is None
    with pytest.raises(ValueError, match="Did you mean 'tanh'"):
        UNetGenerator(1, 1, output_activation="Tanh")


def test_pix2pix_steps_reduce_l1():
    torch.manual_seed(0)
    source = torch.rand(4, 1, 16, 16) * 2 - 1
    target = 0.2 - 0.7 * source  # a local intensity inversion, like T1w -> T2w
    g = UNetGenerator(1, 1, channels=(8, 16), norm=None)
    d = PatchDiscriminator(2, base_channels=4, n_layers=1)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    history = [pix2pix_training_step(g, d, source, target, opt_g, opt_d) for _ in range(25)]
    assert set(history[0]) == {"d_loss", "g_adv", "g_l1", "g_loss"}
    assert history[-1]["g_l1"] < 0.7 * history[0]["g_l1"], (history[0], history[-1])
    with pytest.raises(ValueError, match="spatial size"):
        pix2pix_training_step(g, d, source, target[..., :8], opt_g, opt_d)
