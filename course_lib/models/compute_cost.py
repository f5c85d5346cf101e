"""What a model costs to run: multiply-accumulate operations per input (chapter 10).

Two models with the same number of weights can cost very different amounts of compute: a
convolution applies each of its weights at every position of its input grid, a transformer
applies its projections once per token and adds the attention products, which grow with the
square of the number of tokens. A fair comparison reports both the weights
(:func:`course_lib.models.count_parameters`) and the compute, here counted as
**multiply-accumulate operations (MACs)** for one forward pass of one input.

:func:`count_macs` runs the model once under PyTorch's ``FlopCounterMode``, which counts the
floating-point operations of matrix products and convolutions (2 per MAC), including the
``Q K^T`` and ``weights @ V`` products of attention. Element-wise work (normalisation,
activations, softmax, pooling) is not counted: it is small in FLOPs, though not always in time
on a CPU, which is why chapter 10 reports measured training time beside the MACs.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ._validation import check_int_tuple

__all__ = ["count_macs"]


def count_macs(model: nn.Module, input_shape: Sequence[int]) -> int:
    """Multiply-accumulate operations of one forward pass, per input.

    Parameters
    ----------
    model : torch.nn.Module
        The network; it is run once in evaluation mode (restored afterwards), without
        gradients, on zeros of shape ``(1, *input_shape)``, on the model's device.
    input_shape : sequence of int
        Shape of one input without the batch axis, e.g. ``(1, 32, 32)`` for a one-channel
        32 x 32 image.

    Returns
    -------
    int
        MACs of matrix products and convolutions (FLOPs / 2), for a batch of one.

    Examples
    --------
    >>> count_macs(nn.Linear(10, 4), (10,))   # 10 * 4 multiply-adds; the bias is not counted
    40
    """
    shape = check_int_tuple(
        "input_shape",
        input_shape,
        hint="give one input's shape without the batch axis, e.g. (1, 32, 32).",
    )
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(torch.zeros((1, *shape), device=device))
    finally:
        model.train(was_training)
    return int(counter.get_total_flops()) // 2
