"""Save and rebuild models from checkpoints that carry their configuration.

A checkpoint is a dict ``{"format": 1, "class": "UNet", "config": {...},
"state_dict": {...}, "metadata": {...}}`` written with :func:`torch.save`.
Because every course model stores its construction arguments in
``model.config``, :func:`load_checkpoint` can rebuild the model as
``cls(**config)`` and load the weights, without the notebook repeating the
architecture. Fixed buffers (e.g. sine-cosine position tables) are registered
with ``persistent=False``: they are recomputed from the config, not saved.

Files are written atomically: to a temporary file in the target folder,
then renamed over the target with :func:`os.replace`, so an interrupted save
never leaves a truncated checkpoint behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

FORMAT_VERSION = 1


def _model_classes() -> dict[str, type[nn.Module]]:
    """Classes that :func:`load_checkpoint` can rebuild, by name (fresh dict)."""
    from .autoencoders import VAE, AutoEncoder
    from .cnn_classifier import CNNClassifier
    from .gan import Discriminator, Generator
    from .mlp import MLP
    from .patch_cnn import PatchCNN
    from .pix2pix import PatchDiscriminator, UNetGenerator
    from .transunet import TransUNetLite
    from .unet import UNet
    from .vit import ViT

    classes = (
        MLP,
        PatchCNN,
        UNet,
        AutoEncoder,
        VAE,
        ViT,
        CNNClassifier,
        TransUNetLite,
        Generator,
        Discriminator,
        UNetGenerator,
        PatchDiscriminator,
    )
    return {cls.__name__: cls for cls in classes}


def save_checkpoint(
    model: nn.Module, path: str | os.PathLike, metadata: dict[str, Any] | None = None
) -> Path:
    """Write ``model``'s class name, config and weights to ``path`` atomically.

    Parameters
    ----------
    model : torch.nn.Module
        A course model with a ``config`` dict of its construction arguments.
    path : str or os.PathLike
        Target file (conventionally ``*.pt``); parent folders are created.
    metadata : dict, optional
        Plain values to keep alongside (e.g. epochs, data description, the
        command that produced the checkpoint). Only built-in types (str, int,
        float, bool, None, lists, tuples, dicts) load with ``weights_only``.

    Returns
    -------
    pathlib.Path
        The written path.
    """
    config = getattr(model, "config", None)
    if not isinstance(config, dict):
        raise ValueError(
            f"model ({type(model).__name__}) has no config dict; save_checkpoint "
            "needs a course_lib model, or save model.state_dict() with torch.save."
        )
    payload = {
        "format": FORMAT_VERSION,
        "class": type(model).__name__,
        "config": dict(config),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "metadata": dict(metadata or {}),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
        os.chmod(tmp, 0o644)  # mkstemp creates the file readable by its owner only
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def load_checkpoint(
    path: str | os.PathLike,
    map_location: str | torch.device = "cpu",
    model_class: type[nn.Module] | None = None,
    return_metadata: bool = False,
) -> nn.Module | tuple[nn.Module, dict[str, Any]]:
    """Rebuild a model from a checkpoint written by :func:`save_checkpoint`.

    Parameters
    ----------
    path : str or os.PathLike
        Checkpoint file.
    map_location : str or torch.device, default "cpu"
        Device for the weights; the model is moved there too.
    model_class : type, optional
        Class to instantiate, for models outside ``course_lib.models``;
        by default the stored class name is looked up among the course models.
    return_metadata : bool, default False
        Also return the stored metadata dict.

    Returns
    -------
    torch.nn.Module or (torch.nn.Module, dict)
        The model in eval mode (call ``.train()`` to fine-tune), and the
        metadata if requested.

    Notes
    -----
    The file is read with ``torch.load(weights_only=True)``, which refuses
    arbitrary pickled objects, so loading an untrusted file cannot run code.
    """
    payload = torch.load(Path(path), map_location=map_location, weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_VERSION:
        raise ValueError(
            f"{path} is not a course_lib checkpoint (format {FORMAT_VERSION}); "
            "it was not written by course_lib.models.save_checkpoint."
        )
    name = payload["class"]
    if model_class is None:
        classes = _model_classes()
        if name not in classes:
            raise ValueError(
                f"Unknown model class {name!r} in {path}; pass model_class=... "
                f"(known: {sorted(classes)})."
            )
        model_class = classes[name]
    model = model_class(**payload["config"])
    model.load_state_dict(payload["state_dict"])
    model.to(map_location).eval()
    if return_metadata:
        return model, payload["metadata"]
    return model
