"""A box-promptable segmenter in miniature (chapter 15).

Segment Anything (SAM; Kirillov et al., ICCV 2023, arXiv:2304.02643) and MedSAM (Ma et al.,
Nat Commun 15, 654, 2024, doi:10.1038/s41467-024-44824-z) answer "the object inside this box"
for *any* object: the prompt, not the training label, says what to segment. MedSAM has a ViT-B
image encoder (from SAM), a prompt encoder and a mask decoder, trained on about 1.57 million
image-mask pairs. This module keeps only the idea: a small 2-D U-Net
(:class:`course_lib.models.unet.UNet`) whose input is the image window plus one extra channel,
the box prompt rasterised on the same grid (see :mod:`course_lib.foundation.prompted_crops`),
and whose output is background/object logits. The same class with the same input serves as
the task-specific model (trained on one target) and as the promptable one (trained on many):
only the training data differ.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from course_lib.models._validation import check_int
from course_lib.models.unet import UNet

__all__ = ["PromptableSegmenter"]


class PromptableSegmenter(nn.Module):
    """U-Net on ``image channels + 1 prompt channel`` -> 2 logits (background, object).

    Parameters
    ----------
    image_channels : int
        Image channels of the window (1: one contrast at a time).
    channels : sequence of int
        Feature maps per U-Net level (see :class:`~course_lib.models.unet.UNet`).
    norm : {"batch", "instance", None}
        Normalisation of the U-Net's convolutions.

    Attributes
    ----------
    config : dict
        The construction arguments, stored with checkpoints.

    Notes
    -----
    ``forward`` takes the image and the prompt already stacked, ``(B, image_channels + 1, H,
    W)`` with the prompt last, so that the model fits the course's training loop
    (:func:`course_lib.core.training.fit`) unchanged; :meth:`stack` builds that input.
    """

    def __init__(
        self,
        image_channels: int = 1,
        channels: Sequence[int] = (16, 32, 64),
        norm: str | None = "batch",
    ) -> None:
        super().__init__()
        image_channels = check_int("image_channels", image_channels)
        self.net = UNet(2, image_channels + 1, 2, channels=channels, norm=norm)
        self.config = {
            "image_channels": image_channels,
            "channels": tuple(self.net.config["channels"]),
            "norm": norm,
        }

    @staticmethod
    def stack(images: torch.Tensor, prompts: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` images and ``(B, 1, H, W)`` box prompts -> the model's input."""
        if images.ndim != 4 or prompts.ndim != 4 or prompts.shape[1] != 1:
            raise ValueError(
                f"images must be (B, C, H, W) and prompts (B, 1, H, W); got "
                f"{tuple(images.shape)} and {tuple(prompts.shape)}"
            )
        return torch.cat([images, prompts.to(images.dtype)], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, image_channels + 1, H, W)`` -> ``(B, 2, H, W)`` logits."""
        expected = self.config["image_channels"] + 1
        if x.ndim != 4 or x.shape[1] != expected:
            raise ValueError(
                f"input must be (B, {expected}, H, W): the image channels then the box "
                f"prompt (PromptableSegmenter.stack builds it); got {tuple(x.shape)}"
            )
        return self.net(x)
