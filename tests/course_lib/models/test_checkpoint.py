"""Tests for course_lib.models.checkpoint (config + weights round trips)."""

import os

import pytest
import torch
from torch import nn

from course_lib import models
from course_lib.models import load_checkpoint, save_checkpoint

# (factory, input shape) for one small instance of every course model
CASES = {
    "MLP": (lambda: models.MLP(5, 3, hidden=(4,)), (2, 5)),
    "PatchCNN": (lambda: models.PatchCNN(patch_size=8, n_conv=2, padding="valid"), (2, 1, 8, 8)),
    "UNet": (lambda: models.UNet(2, 1, 3, channels=(4, 8), dropout=0.1), (1, 1, 8, 8)),
    "UNet-heads": (
        lambda: models.UNet(3, 1, None, channels=(2, 4), norm="instance", heads={"a": 2, "b": 1}),
        (1, 1, 4, 4, 4),
    ),
    "AutoEncoder": (
        lambda: models.AutoEncoder(channels=(4, 8), latent_channels=2),
        (2, 1, 16, 16),
    ),
    "VAE": (lambda: models.VAE(latent="dense", image_size=16, channels=(4, 8)), (2, 1, 16, 16)),
    "ViT": (lambda: models.ViT(16, 4, 1, 2, dim=8, depth=1, n_heads=2, mlp_dim=8), (2, 1, 16, 16)),
    "ViT-sincos": (
        lambda: models.ViT(
            16, 4, 1, 2, dim=8, depth=1, n_heads=2, mlp_dim=8, pos_embedding="sincos"
        ),
        (2, 1, 16, 16),
    ),
    "CNNClassifier": (lambda: models.CNNClassifier(1, 2, channels=(4, 8)), (2, 1, 16, 16)),
    "TransUNetLite": (
        lambda: models.TransUNetLite(
            1, 2, 8, channels=(4, 8), dim=8, depth=1, n_heads=2, mlp_dim=8
        ),
        (2, 1, 8, 8),
    ),
    "Generator": (lambda: models.Generator(latent_dim=4, image_size=8, base_channels=4), (2, 4)),
    "Discriminator": (lambda: models.Discriminator(image_size=8, base_channels=4), (2, 1, 8, 8)),
    "UNetGenerator": (lambda: models.UNetGenerator(1, 1, channels=(4, 8)), (2, 1, 8, 8)),
    "PatchDiscriminator": (
        lambda: models.PatchDiscriminator(2, base_channels=4, n_layers=1),
        (2, 2, 16, 16),
    ),
}


def _outputs(model, x):
    out = model(x)
    if isinstance(out, dict):
        return [out[k] for k in sorted(out)]
    return list(out) if isinstance(out, tuple) else [out]


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_rebuilds_identical_model(name, tmp_path):
    factory, shape = CASES[name]
    torch.manual_seed(0)
    model = factory()
    # move BatchNorm running statistics away from their initial values
    model.train()
    with torch.no_grad():
        _outputs(model, torch.randn(shape))
    model.eval()
    path = save_checkpoint(model, tmp_path / "sub" / f"{name}.pt", metadata={"epochs": 3})
    torch.manual_seed(123)  # a different seed: weights must come from the file
    loaded, meta = load_checkpoint(path, return_metadata=True)
    assert type(loaded) is type(model) and loaded.config == model.config
    assert meta == {"epochs": 3} and not loaded.training
    x = torch.randn(shape)
    for a, b in zip(_outputs(model, x), _outputs(loaded, x), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert os.listdir(tmp_path / "sub") == [f"{name}.pt"]  # no temporary file left


@pytest.mark.parametrize("name", sorted(CASES))
def test_state_dict_has_no_fixed_buffers(name):
    model = CASES[name][0]()
    keys = set(model.state_dict())
    non_persistent = {
        f"{prefix}.{b}" if prefix else b
        for prefix, module in model.named_modules()
        for b in module._non_persistent_buffers_set
    }
    assert keys.isdisjoint(non_persistent)
    learned = {n for n, _ in model.named_parameters()}
    persistent = {n for n, _ in model.named_buffers()} - non_persistent
    assert keys == learned | persistent
    if name == "ViT-sincos":
        assert non_persistent == {"pos_embedding"}


def test_overwrite_and_errors(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "m.pt"
    save_checkpoint(models.MLP(3, 2, hidden=()), path)
    save_checkpoint(models.MLP(4, 2, hidden=()), path)  # atomic replace of an existing file
    assert load_checkpoint(path).config["in_features"] == 4
    assert path.stat().st_mode & 0o777 == 0o644  # readable by all, like any shipped file
    with pytest.raises(ValueError, match="no config dict"):
        save_checkpoint(nn.Linear(2, 2), tmp_path / "x.pt")
    torch.save({"weights": torch.zeros(1)}, tmp_path / "plain.pt")
    with pytest.raises(ValueError, match="not a course_lib checkpoint"):
        load_checkpoint(tmp_path / "plain.pt")


def test_custom_model_class(tmp_path):
    class Scale(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.config = {"n": n}
            self.w = nn.Parameter(torch.arange(float(n)))

        def forward(self, x):
            return x * self.w

    save_checkpoint(Scale(3), tmp_path / "s.pt")
    with pytest.raises(ValueError, match="model_class"):
        load_checkpoint(tmp_path / "s.pt")
    loaded = load_checkpoint(tmp_path / "s.pt", model_class=Scale)
    assert torch.equal(loaded.w, torch.arange(3.0))


def test_round_trip_after_replacing_heads(tmp_path):
    torch.manual_seed(0)
    model = models.UNet(2, 1, 4, channels=(4, 8), norm=None)
    model.replace_heads(out_channels=2)
    save_checkpoint(model, tmp_path / "ft.pt")
    loaded = load_checkpoint(tmp_path / "ft.pt")
    x = torch.randn(1, 1, 8, 8)
    assert loaded(x).shape == (1, 2, 8, 8)
    torch.testing.assert_close(loaded(x), model.eval()(x))
