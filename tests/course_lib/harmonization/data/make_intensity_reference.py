"""Write ``intensity_reference.json``: WhiteStripe and Nyúl outputs of an independent implementation.

The reference is the ``intensity-normalization`` package (J. C. Reinhold et al., "Evaluating the
impact of intensity normalization on MR image synthesis", SPIE Medical Imaging 2019), version
3.0.1 from PyPI, which is *not* a dependency of the course. It was run once, in a separate
virtual environment::

    python3.11 -m venv /tmp/inorm && /tmp/inorm/bin/pip install intensity-normalization==3.0.1
    /tmp/inorm/bin/python tests/course_lib/harmonization/data/make_intensity_reference.py

The inputs are synthetic 1-D "images" (intensities of the voxels inside a brain mask),
rounded to multiples of 1/8 so that they are exact in the float32 arrays the package uses,
and stored in the JSON with the outputs, so the test never depends on a random generator.

* Nyúl: ``NyulNormalizer`` (landmarks 1, 10, 20, ..., 90, 99 %, standard range [1, 100])
  fitted on three training images; stored: its standard scale and the transform of a fourth
  image at probe intensities, including values outside the image's 1-99 % range
  (extrapolation of the end segments).
* WhiteStripe: ``WhiteStripeNormalizer(width=0.05, modality=T1)`` on three-tissue T1-like
  images; stored: the white-matter mode, the stripe's mean and standard deviation. Its mode
  is the last local maximum of a Gaussian KDE sampled on 80 points (ours: a binned KDE on
  1000 bins with a prominence threshold), so the test compares with a tolerance.
"""

import json
from pathlib import Path

import numpy as np
from intensity_normalization.adapters.images import NumpyImageAdapter
from intensity_normalization.domain.models import Modality
from intensity_normalization.normalizers.individual.whitestripe import WhiteStripeNormalizer
from intensity_normalization.normalizers.population.nyul import NyulNormalizer


def eighths(x):
    return np.round(np.asarray(x) * 8) / 8


def three_tissues(rng, n, means, sds, weights):
    counts = rng.multinomial(n, weights)
    return eighths(np.concatenate([rng.normal(m, s, k) for m, s, k in zip(means, sds, counts)]))


rng = np.random.default_rng(20240611)
# Nyul: training images of three "scanners" (different gain, contrast and proportions)
nyul_train = [
    three_tissues(rng, 400, (30, 90, 160), (8, 10, 10), (0.15, 0.45, 0.40)),
    three_tissues(rng, 400, (120, 300, 520), (25, 30, 35), (0.18, 0.42, 0.40)),
    three_tissues(rng, 400, (60, 170, 220), (10, 12, 12), (0.12, 0.48, 0.40)),
]
nyul_test = three_tissues(rng, 400, (200, 520, 930), (40, 45, 50), (0.15, 0.45, 0.40))
probes = eighths(
    np.concatenate(
        [
            [nyul_test.min() - 50.0, nyul_test.min()],
            np.linspace(nyul_test.min(), nyul_test.max(), 16),
            [nyul_test.max(), nyul_test.max() + 50.0],
        ]
    )
)
nyul = NyulNormalizer(output_min_value=1.0, output_max_value=100.0)
nyul.fit_population(
    [NumpyImageAdapter(x) for x in nyul_train],
    [NumpyImageAdapter(np.ones_like(x)) for x in nyul_train],
)
# transform() reads its landmarks from the mask's voxels and maps every voxel: put the probes
# outside the mask, after the test image's own voxels
image = np.concatenate([nyul_test, probes])
mask = np.concatenate([np.ones_like(nyul_test), np.zeros_like(probes)])
mapped = nyul.transform(NumpyImageAdapter(image), NumpyImageAdapter(mask)).get_data()[
    len(nyul_test) :
]

# WhiteStripe: a clean image and one whose white-matter peak is weaker
white_stripe_cases = []
for weights in ((0.15, 0.40, 0.45), (0.20, 0.50, 0.30)):
    values = three_tissues(rng, 2000, (30, 90, 160), (8, 10, 10), weights)
    ws = WhiteStripeNormalizer(width=0.05, modality=Modality.T1)
    ws.fit(NumpyImageAdapter(values), NumpyImageAdapter(np.ones_like(values)))
    mode = ws._get_tissue_mode(values.astype(np.float32))
    white_stripe_cases.append(
        {
            "values": values.tolist(),
            "mode": float(mode),
            "mean": float(ws.mean),
            "std": float(ws.std),
        }
    )

reference = {
    "provenance": (
        "Outputs of intensity-normalization 3.0.1 (PyPI; an implementation independent "
        "of course_lib) for synthetic inputs stored here; written once by "
        "make_intensity_reference.py in this folder, run in a separate virtual "
        "environment (see its docstring)."
    ),
    "package": "intensity-normalization 3.0.1",
    "nyul": {
        "percentiles": nyul.percentiles.tolist(),
        "standard_scale": [1.0, 100.0],
        "train": [x.tolist() for x in nyul_train],
        "test": nyul_test.tolist(),
        "standard_landmarks": nyul.standard_scale.tolist(),
        "probes": probes.tolist(),
        "mapped_probes": mapped.astype(float).tolist(),
    },
    "white_stripe": white_stripe_cases,
}
path = Path(__file__).with_name("intensity_reference.json")
tmp = path.with_suffix(".json.tmp")
tmp.write_text(json.dumps(reference, separators=(",", ":")) + "\n")
tmp.replace(path)
print(f"wrote {path.name}: {path.stat().st_size / 1024:.0f} kB")
