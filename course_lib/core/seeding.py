"""Make a run repeatable: one seed for Python, NumPy, PyTorch and (if loaded) TensorFlow."""

from __future__ import annotations

import os
import random
import sys

import numpy as np
import torch

__all__ = ["seed_everything"]


def seed_everything(seed: int, deterministic: bool = True) -> torch.Generator:
    """Seed every random number generator a chapter may use.

    Parameters
    ----------
    seed : int
        Non-negative integer seed.
    deterministic : bool
        Also ask PyTorch (and TensorFlow, if it is already imported) for deterministic
        algorithms. Results are then identical between runs on the same machine with the
        same thread count; across machines the last digits of floats may still differ,
        so notebooks print rounded values.

    Returns
    -------
    torch.Generator
        A CPU generator seeded with ``seed``, to pass to ``DataLoader(generator=...)`` and
        samplers so that data order does not depend on how many random numbers were drawn
        before.

    Notes
    -----
    Deterministic mode normally also fills newly allocated tensors with NaN
    (``torch.utils.deterministic.fill_uninitialized_memory``); we switch that debugging aid
    off because it only slows training down.

    TensorFlow is seeded only if it is already imported: importing it costs ~1 GB of
    memory and several seconds, which chapters that do not use Keras should not pay.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        # Deterministic mode also fills every new tensor with NaN to expose reads of
        # uninitialised memory; no result depends on it, and it costs 10-15 % of a small
        # CNN's training step on a CPU.
        torch.utils.deterministic.fill_uninitialized_memory = False
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    if "tensorflow" in sys.modules:
        tf = sys.modules["tensorflow"]
        tf.random.set_seed(seed)
        if deterministic:
            tf.config.experimental.enable_op_determinism()
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator
