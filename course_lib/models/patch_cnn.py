"""Patch-based CNN for lesion segmentation (chapter 02).

The lecture's second worked example (adapted from Knoll, ISMRM 2018) decides
whether the centre pixel of a 2-D patch is lesion: four 3x3 convolutions with
4 feature maps and ReLU, one 2x2 max-pooling, one fully connected layer of 16
units and a sigmoid output. With single-channel 40x40 patches and "same"
padding it has 26,117 parameters:

* convolutions: ``(1*9*4 + 4) + 3 * (4*9*4 + 4) = 40 + 3*148 = 484``
* pooling 40x40 -> 20x20, flattened ``4*20*20 = 1600`` features
* fully connected: ``1600*16 + 16 = 25,616``
* output: ``16 + 1 = 17``

so ``484 + 25,616 + 17 = 26,117``: almost all weights sit in the fully
connected layer. Whole-slice prediction: :func:`.dense_prediction.to_fully_convolutional`.
"""

from __future__ import annotations

import torch
from torch import nn

from ._validation import check_choice, check_int


def _conv_output_size(patch_size: int, n_conv: int, padding: str) -> int:
    """Side length of the feature maps after the convolutions (before pooling)."""
    return patch_size if padding == "same" else patch_size - 2 * n_conv


def patch_cnn_parameter_count(
    in_channels: int = 1,
    patch_size: int = 40,
    n_filters: int = 4,
    n_conv: int = 4,
    fc_units: int = 16,
    padding: str = "same",
) -> int:
    """Number of trainable parameters of :class:`PatchCNN`, by formula.

    Parameters
    ----------
    in_channels, patch_size, n_filters, n_conv, fc_units, padding
        As for :class:`PatchCNN`.

    Returns
    -------
    int
        ``conv + fc + out`` where ``conv = (C*9*F + F) + (n_conv-1)*(F*9*F + F)``,
        ``fc = F*s*s*U + U`` with ``s = floor(side / 2)`` the pooled side and
        ``out = U + 1``.

    Examples
    --------
    >>> patch_cnn_parameter_count()
    26117
    """
    c, f, u = in_channels, n_filters, fc_units
    conv = (c * 9 * f + f) + (n_conv - 1) * (f * 9 * f + f)
    s = _conv_output_size(patch_size, n_conv, padding) // 2
    return conv + (f * s * s * u + u) + (u + 1)


class PatchCNN(nn.Module):
    """Classify the centre pixel of a 2-D patch (lesion vs not); outputs a logit.

    ``forward`` returns one *logit* per patch; the sigmoid of the lecture's
    diagram is applied by the loss (:class:`torch.nn.BCEWithLogitsLoss`, which
    is numerically stabler than ``sigmoid`` followed by ``BCELoss``). Use
    ``torch.sigmoid(model(x))`` for probabilities.

    Parameters
    ----------
    in_channels : int, default 1
        Channels per patch (e.g. 2 for FLAIR + T1w).
    patch_size : int, default 40
        Side of the square input patch, in pixels. The centre pixel of a patch
        is at index ``patch_size // 2``.
    n_filters : int, default 4
        Feature maps of every 3x3 convolution.
    n_conv : int, default 4
        Number of 3x3 convolutions (each followed by ReLU).
    fc_units : int, default 16
        Units of the fully connected hidden layer (followed by ReLU).
    padding : {"same", "valid"}, default "same"
        ``"same"`` keeps the patch size (the lecture's count); ``"valid"``
        shrinks each side by 2 per convolution and makes the network exactly
        equivalent to a fully convolutional one
        (:func:`course_lib.models.to_fully_convolutional`).

    Attributes
    ----------
    config : dict
        The construction arguments, stored with checkpoints.

    Notes
    -----
    Shapes: input ``(B, in_channels, patch_size, patch_size)``, output ``(B,)``.

    References
    ----------
    .. [1] F. Knoll, "Deep learning", ISMRM 2018 educational course (the
       lecture's lesion segmentation example).
    .. [2] K. Kamnitsas et al., "Efficient multi-scale 3D CNN with fully
       connected CRF for accurate brain lesion segmentation", Medical Image
       Analysis 36, 2017. doi:10.1016/j.media.2016.10.004
    """

    def __init__(
        self,
        in_channels: int = 1,
        patch_size: int = 40,
        n_filters: int = 4,
        n_conv: int = 4,
        fc_units: int = 16,
        padding: str = "same",
    ) -> None:
        super().__init__()
        in_channels = check_int("in_channels", in_channels)
        patch_size = check_int("patch_size", patch_size, minimum=2)
        n_filters = check_int("n_filters", n_filters)
        n_conv = check_int("n_conv", n_conv)
        fc_units = check_int("fc_units", fc_units)
        padding = check_choice("padding", padding, ("same", "valid"))
        side = _conv_output_size(patch_size, n_conv, padding)
        if side < 2:
            raise ValueError(
                f"patch_size={patch_size} is too small for n_conv={n_conv} "
                f"'valid' convolutions (feature maps would be {side} pixels, "
                f"pooling needs >= 2); use patch_size >= {2 * n_conv + 2} or "
                "padding='same'."
            )
        self.config = {
            "in_channels": in_channels,
            "patch_size": patch_size,
            "n_filters": n_filters,
            "n_conv": n_conv,
            "fc_units": fc_units,
            "padding": padding,
        }
        pad = 1 if padding == "same" else 0
        layers: list[nn.Module] = []
        c = in_channels
        for _ in range(n_conv):
            layers += [nn.Conv2d(c, n_filters, 3, padding=pad), nn.ReLU()]
            c = n_filters
        layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        pooled = side // 2
        self.fc = nn.Linear(n_filters * pooled * pooled, fc_units)
        self.out = nn.Linear(fc_units, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return one logit per patch, shape ``(B,)``, for ``x`` ``(B, C, P, P)``."""
        cfg = self.config
        expected = (cfg["in_channels"], cfg["patch_size"], cfg["patch_size"])
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(
                f"x must have shape (B, {expected[0]}, {expected[1]}, "
                f"{expected[2]}), got {tuple(x.shape)}; for a whole slice use "
                "course_lib.models.to_fully_convolutional(model) (padding='valid')."
            )
        h = self.features(x).flatten(1)
        h = torch.relu(self.fc(h))
        return self.out(h).squeeze(1)
