import numpy as np
import pytest
import torch

from course_lib.core.inference import predict_batches, predict_volume


class SliceNet(torch.nn.Module):
    """Per-pixel: class score k = k * (sum of channels); a 1x1 convolution."""

    def __init__(self, channels=2, classes=3):
        super().__init__()
        self.conv = torch.nn.Conv2d(channels, classes, 1, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(
                torch.arange(classes, dtype=torch.float32)[:, None, None, None].expand(
                    classes, channels, 1, 1
                )
            )

    def forward(self, x):
        return self.conv(x)


def reference(image):
    """The same computation without batching: (K, X, Y, Z) scores."""
    total = image.sum(axis=0)
    return np.stack([k * total for k in range(3)])


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
@pytest.mark.parametrize("batch_size", [1, 4, 100])
def test_slice_wise_equals_whole_volume_computation(axis, batch_size):
    rng = np.random.default_rng(0)
    image = rng.normal(size=(2, 5, 6, 7)).astype(np.float32)
    scores = predict_volume(SliceNet(), image, axis=axis, batch_size=batch_size, reduce="none")
    np.testing.assert_allclose(scores, reference(image), rtol=1e-5, atol=1e-5)
    labels = predict_volume(SliceNet(), image, axis=axis, batch_size=batch_size)
    np.testing.assert_array_equal(labels, reference(image).argmax(axis=0))


def test_three_d_model_sees_the_volume_once():
    calls = []

    def net(x):
        calls.append(tuple(x.shape))
        return torch.cat([x.sum(1, keepdim=True), -x.sum(1, keepdim=True)], 1)

    image = torch.ones(2, 4, 4, 4)
    out = predict_volume(net, image, spatial_dims=3, reduce="softmax")
    assert calls == [(1, 2, 4, 4, 4)] and out.shape == (2, 4, 4, 4)
    np.testing.assert_allclose(out.sum(axis=0), 1.0, rtol=1e-6)


def test_predict_batches_restores_order_and_eval_mode():
    model = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Identity())
    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    out = predict_batches(model, x, batch_size=3)
    np.testing.assert_array_equal(out, x)  # eval(): dropout off
    assert not model.training


def test_bad_inputs_say_what_to_do():
    with pytest.raises(ValueError, match="image\\[None\\]"):
        predict_volume(SliceNet(), np.zeros((5, 6, 7), np.float32))
    with pytest.raises(ValueError, match="reduce"):
        predict_batches(SliceNet(), np.zeros((1, 2, 3, 3), np.float32), reduce="max")
    with pytest.raises(TypeError, match="NumPy array"):
        predict_batches(SliceNet(), [[1.0]])
