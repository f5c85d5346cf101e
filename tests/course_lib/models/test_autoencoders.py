"""Tests for course_lib.models.autoencoders."""

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from course_lib.models import VAE, AutoEncoder, vae_loss


@pytest.mark.parametrize("size", [(64, 64), (96, 112)])
def test_autoencoder_shapes(size):
    torch.manual_seed(0)
    x = torch.randn(2, 1, *size)
    spatial = AutoEncoder(channels=(4, 8, 8, 8), latent_channels=3)
    assert spatial(x).shape == x.shape
    assert spatial.encode(x).shape == (2, 3, size[0] // 16, size[1] // 16)
    dense = AutoEncoder(latent="dense", latent_dim=5, image_size=size, channels=(4, 8, 8, 8))
    assert dense.encode(x).shape == (2, 5)
    assert dense.decode(dense.encode(x)).shape == x.shape


def test_vae_shapes_and_sampling():
    torch.manual_seed(0)
    x = torch.randn(3, 2, 32, 48)
    for latent in ("spatial", "dense"):
        model = VAE(
            2,
            latent=latent,
            latent_channels=4,
            latent_dim=6,
            image_size=(32, 48),
            channels=(4, 8, 8, 8),
        )
        recon, mu, logvar = model(x)
        assert recon.shape == x.shape
        assert mu.shape == logvar.shape == (3, *model.latent_shape)
        assert model.sample(5).shape == (5, 2, 32, 48)
        assert model.reconstruct(x).shape == x.shape
    assert model.latent_shape == (6,)


def test_vae_eval_is_deterministic_train_is_not():
    torch.manual_seed(0)
    model = VAE(channels=(4, 8), image_size=16)
    x = torch.randn(2, 1, 16, 16)
    model.train()
    assert not torch.equal(model(x)[0], model(x)[0])
    model.eval()
    torch.testing.assert_close(model(x)[0], model(x)[0])
    torch.testing.assert_close(model(x)[0], model.reconstruct(x))


def test_reparameterize_statistics():
    torch.manual_seed(0)
    mu = torch.full((20000,), 1.0)
    logvar = torch.full((20000,), float(torch.log(torch.tensor(4.0))))
    z = VAE.reparameterize(mu, logvar)
    assert abs(z.mean().item() - 1.0) < 0.05
    assert abs(z.std().item() - 2.0) < 0.05


def test_vae_loss_matches_torch_distributions():
    torch.manual_seed(0)
    x, recon = torch.randn(4, 1, 8, 8), torch.randn(4, 1, 8, 8)
    mu, logvar = torch.randn(4, 3, 2, 2), torch.randn(4, 3, 2, 2)
    total, rec, kl = vae_loss(recon, x, mu, logvar, beta=0.5)
    want_kl = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum() / 4
    want_rec = torch.nn.functional.mse_loss(recon, x, reduction="sum") / 4
    torch.testing.assert_close(kl, want_kl)
    torch.testing.assert_close(rec, want_rec)
    torch.testing.assert_close(total, want_rec + 0.5 * want_kl)


@pytest.mark.parametrize("latent", ["spatial", "dense"])
def test_elbo_decreases_with_adam(latent):
    torch.manual_seed(0)
    x = torch.rand(4, 1, 16, 16)
    model = VAE(latent=latent, latent_channels=2, latent_dim=4, image_size=16, channels=(4, 8))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(40):
        recon, mu, logvar = model(x)
        loss, _, _ = vae_loss(recon, x, mu, logvar)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < 0.7 * first, (first, last)


def test_bad_arguments():
    with pytest.raises(ValueError, match="image_size is required"):
        VAE(latent="dense")
    with pytest.raises(ValueError, match="multiples of 16"):
        AutoEncoder(image_size=(40, 64))
    with pytest.raises(ValueError, match="Did you mean 'dense'"):
        AutoEncoder(latent="Dense")
    with pytest.raises(ValueError, match="multiples of 16"):
        AutoEncoder()(torch.randn(1, 1, 40, 64))
    with pytest.raises(ValueError, match="latent_shape"):
        VAE().sample(2)
    with pytest.raises(ValueError, match="same shape"):
        z = torch.zeros(1, 2)
        vae_loss(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 8), z, z)
