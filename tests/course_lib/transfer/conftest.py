"""Shared fixtures of the transfer tests: a tiny synthetic subject with known lesions."""

from types import SimpleNamespace

import numpy as np
import pytest


def make_fake_subject(shape=(20, 22, 6), seed=0):
    rng = np.random.default_rng(seed)
    brain = np.zeros(shape, bool)
    brain[3:17, 4:19, 1:5] = True
    lesion = np.zeros(shape, bool)
    lesion[8:10, 9:12, 2:4] = True
    flair = np.where(brain, 100.0, 0.0) + rng.normal(0, 1, shape) + 80.0 * lesion
    t1 = np.where(brain, 50.0, 0.0) + rng.normal(0, 1, shape)
    return SimpleNamespace(
        images={"T1w": t1.astype(np.float32), "FLAIR": flair.astype(np.float32)},
        brain_mask=brain,
        lesion_mask=lesion,
        tumor_labels=None,
        shape=shape,
        seed=seed,
    )


@pytest.fixture
def fake_subject():
    return make_fake_subject
