"""Which environment settings change the bits of a small training run, and what they cost.

Usage::

    .venv/bin/python benchmarks/bench_numeric_configurations.py

Why: stored notebook outputs are written and checked under the pinned configuration
``NUMERIC=portable`` of the Makefile (one thread; ATen, oneDNN, MKL, OpenBLAS and NumPy capped
at AVX2; TensorFlow without oneDNN). This script shows why each setting is there: it runs the
same small job in a fresh interpreter under each configuration and prints a hash of the
results and the wall time. Two configurations with different hashes compute different
floating-point bits on this machine; a setting whose removal changes the hash of the pinned
configuration is one that another CPU could change too.

The job: 30 Adam steps of a two-layer CNN with batch normalisation on random 32 x 32 images
(forward and backward convolutions go through oneDNN, the linear layer and the matmul through
MKL), plus a NumPy exp/sum and matmul (NumPy's SIMD loops and OpenBLAS). The hash covers the
trained weights and the three results.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys

JOB = r"""
import hashlib, time
import numpy as np
import torch
start = time.perf_counter()
torch.manual_seed(0)
net = torch.nn.Sequential(
    torch.nn.Conv2d(2, 16, 3, padding=1), torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
    torch.nn.Conv2d(16, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
    torch.nn.Linear(16 * 32 * 32, 4))
optimizer = torch.optim.Adam(net.parameters(), 1e-3)
x, y = torch.randn(64, 2, 32, 32), torch.randint(0, 4, (64,))
for _ in range(30):
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(net(x), y)
    loss.backward()
    optimizer.step()
a, b = torch.randn(300, 500), torch.randn(500, 200)
rng = np.random.default_rng(0)
u, v = rng.normal(size=(400, 300)), rng.normal(size=(300, 200))
parts = [p.detach().numpy().tobytes() for p in net.parameters()]
parts += [(a @ b).numpy().tobytes(), np.exp(u).sum(axis=0).tobytes(), (u @ v).tobytes()]
digest = hashlib.sha1(b"".join(parts)).hexdigest()[:12]
print(digest, f"{time.perf_counter() - start:.2f}")
"""

THREADS1 = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
AVX2 = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "MKL_CBWR": "AVX2",
    "OPENBLAS_CORETYPE": "Haswell",
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
}
PINNED = {**THREADS1, **AVX2}

#: (name, settings added to a clean environment); each "pinned minus X" drops one setting.
CONFIGURATIONS: list[tuple[str, dict[str, str]]] = [
    ("default (the machine's own)", {}),
    ("threads1", THREADS1),
    ("pinned (NUMERIC=portable)", PINNED),
] + [
    (f"pinned minus {key}", {k: v for k, v in PINNED.items() if k != key})
    for key in (
        "OMP_NUM_THREADS",
        "ONEDNN_MAX_CPU_ISA",
        "MKL_CBWR",
        "OPENBLAS_CORETYPE",
        "NPY_DISABLE_CPU_FEATURES",
        "ATEN_CPU_CAPABILITY",
    )
]


def run_job(settings: dict[str, str]) -> tuple[str, float]:
    """Run the job in a fresh interpreter; return (hash, seconds)."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in PINNED and not k.startswith(("OMP_", "MKL_", "OPENBLAS_"))
    }
    environment.update(settings)
    result = subprocess.run(
        [sys.executable, "-c", JOB], env=environment, check=True, capture_output=True, text=True
    )
    digest, seconds = result.stdout.split()
    return digest, float(seconds)


def main() -> None:
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    pinned_digest = None
    for name, settings in CONFIGURATIONS:
        digest, seconds = run_job(settings)
        if name.startswith("pinned ("):
            pinned_digest = digest
        same = (
            ""
            if pinned_digest is None or name.startswith("pinned (")
            else ("  same bits as pinned" if digest == pinned_digest else "  differs from pinned")
        )
        print(f"{name:<40} {digest}  {seconds:5.2f} s{same}")


if __name__ == "__main__":
    main()
