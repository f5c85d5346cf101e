"""Tests for course_lib.models.unet."""

import pytest
import torch
from torch.nn import functional as F

from course_lib.models import UNet, count_parameters, set_requires_grad


def test_output_shapes_2d_and_3d():
    torch.manual_seed(0)
    model = UNet(2, in_channels=3, out_channels=4, channels=(4, 8, 16))
    assert model(torch.randn(2, 3, 16, 24)).shape == (2, 4, 16, 24)
    model3 = UNet(3, in_channels=1, out_channels=1, channels=(2, 4))
    assert model3(torch.randn(1, 1, 8, 6, 4)).shape == (1, 1, 8, 6, 4)


def test_odd_sizes_are_padded_and_cropped():
    torch.manual_seed(0)
    model = UNet(2, 1, 2, channels=(4, 8, 16), norm=None).eval()
    x = torch.randn(1, 1, 13, 18)
    out = model(x)
    assert out.shape == (1, 2, 13, 18)
    # same as padding by hand (to 16 x 20) and cropping the result
    manual = model(F.pad(x, (0, 2, 0, 3)))[..., :13, :18]
    torch.testing.assert_close(out, manual)
    model3 = UNet(3, 1, 1, channels=(2, 4), norm="instance")
    assert model3(torch.randn(1, 1, 5, 7, 3)).shape == (1, 1, 5, 7, 3)


def test_odd_sizes_rejected_when_padding_disabled():
    model = UNet(2, 1, 2, channels=(4, 8, 16), pad_input=False)
    with pytest.raises(ValueError, match=r"not a multiple of 4.*\(12, 16\).*\(16, 20\)"):
        model(torch.randn(1, 1, 13, 18))


def test_parameter_count_by_hand_2d():
    model = UNet(2, 1, 2, channels=(4, 8), n_conv_per_level=2, norm=None)
    enc0 = (1 * 9 * 4 + 4) + (4 * 9 * 4 + 4)  # 40 + 148
    enc1 = (4 * 9 * 8 + 8) + (8 * 9 * 8 + 8)  # 296 + 584
    up = 8 * 4 * 2 * 2 + 4  # 2x2 transposed convolution 8 -> 4
    dec0 = (8 * 9 * 4 + 4) + (4 * 9 * 4 + 4)  # 4 (skip) + 4 (up) channels in
    head = 4 * 2 + 2
    assert enc0 + enc1 + up + dec0 + head == 1650
    assert count_parameters(model) == 1650
    no_skip = UNet(2, 1, 2, channels=(4, 8), norm=None, skip_connections=False)
    assert count_parameters(no_skip) == 1650 - 4 * 9 * 4  # decoder sees 4, not 8


def test_parameter_count_by_hand_3d_batchnorm():
    model = UNet(3, 2, 3, channels=(2, 4), n_conv_per_level=1, norm="batch")
    enc0 = 2 * 27 * 2 + 2 + 2 * 2  # conv + BN scale and shift
    enc1 = 2 * 27 * 4 + 4 + 2 * 4
    up = 4 * 2 * 8 + 2
    dec0 = 4 * 27 * 2 + 2 + 2 * 2
    head = 2 * 3 + 3
    assert enc0 + enc1 + up + dec0 + head == 639
    assert count_parameters(model) == 639


def test_multi_head_outputs():
    torch.manual_seed(0)
    model = UNet(2, 1, None, channels=(4, 8), heads={"tissue": 4, "lobes": 7})
    out = model(torch.randn(2, 1, 8, 8))
    assert set(out) == {"tissue", "lobes"}
    assert out["tissue"].shape == (2, 4, 8, 8) and out["lobes"].shape == (2, 7, 8, 8)
    single = UNet(2, 1, None, channels=(4, 8), heads={"tissue": 4})
    assert single(torch.randn(2, 1, 8, 8)).shape == (2, 4, 8, 8)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"spatial_dims": 4}, "spatial_dims"),
        ({"in_channels": 0}, "in_channels"),
        ({"out_channels": -1}, "out_channels"),
        ({"channels": (16,)}, "channels"),
        ({"channels": (16, 0)}, r"channels\[1\]"),
        ({"norm": "batchnorm"}, "Did you mean 'batch'"),
        ({"dropout": 1.5}, "dropout"),
        ({"n_conv_per_level": 0}, "n_conv_per_level"),
        ({"heads": {"a": 2}}, "exactly one of out_channels"),
        ({"out_channels": None, "heads": {}}, "heads"),
        ({"out_channels": None, "heads": {"a b": 2}}, "identifiers"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, message):
    args = {"spatial_dims": 2, "in_channels": 1, "out_channels": 2, "channels": (4, 8)}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        UNet(**args)


def test_wrong_input_rank_is_explained():
    with pytest.raises(ValueError, match=r"H, W, D"):
        UNet(3, 1, 1, channels=(2, 4))(torch.randn(1, 1, 8, 8))


def test_encoder_decoder_split_and_freezing():
    torch.manual_seed(0)
    model = UNet(2, 1, 2, channels=(4, 8), norm=None)
    n_enc = count_parameters(model.encoder_parameters())
    n_dec = count_parameters(model.decoder_parameters())
    assert n_enc + n_dec == count_parameters(model)
    assert n_enc == 40 + 148 + 296 + 584
    enc_ids = {id(p) for p in model.encoder_parameters()}
    assert enc_ids.isdisjoint(id(p) for p in model.decoder_parameters())
    set_requires_grad(model.encoder_parameters(), False)
    before = [p.clone() for p in model.encoder_parameters()]
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    model(torch.randn(2, 1, 8, 8)).pow(2).mean().backward()
    opt.step()
    for b, p in zip(before, model.encoder_parameters(), strict=True):
        assert torch.equal(b, p)
    assert count_parameters(model) == n_dec


def test_replace_heads_keeps_body():
    torch.manual_seed(0)
    model = UNet(2, 1, 4, channels=(4, 8))
    enc = [p.clone() for p in model.encoder_parameters()]
    model.replace_heads(heads={"wmh": 1, "tissue": 3})
    out = model(torch.randn(1, 1, 8, 8))
    assert out["wmh"].shape == (1, 1, 8, 8)
    assert model.config["heads"] == {"wmh": 1, "tissue": 3}
    assert model.config["out_channels"] is None
    for a, b in zip(enc, model.encoder_parameters(), strict=True):
        assert torch.equal(a, b)
