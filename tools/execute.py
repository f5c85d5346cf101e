"""Re-execute chapter notebooks in place, top to bottom, in the CPU profile.

Usage::

    python -m tools.execute notebooks/04_unet_segmentation.ipynb [...]

This is what ``make execute`` runs to refresh the stored outputs that nbval compares in CI.
Each notebook runs in a fresh kernel started in its own folder, with
``COURSE_PROFILE=cpu`` and ``COURSE_DEVICE=cpu`` so stored outputs are those of the CPU
profile on any machine. A notebook is rewritten only if it ran without error (atomic
rename); run records are collected under ``build/run_records/``.

``--profile gpu --output-dir DIR`` executes in the *gpu* profile (1-mm data, 3-D models,
device chosen by ``get_device``: CUDA where present) and writes the executed copies to
``DIR``; the stored notebooks keep their CPU outputs.

``--smoke`` (``make test-smoke``) runs the *gpu* profile's code paths at toy sizes on the
CPU (``COURSE_PROFILE=gpu COURSE_SMOKE=1``): every chapter must get through end to end, its
gates report instead of raising, and nothing is written back to the notebook.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

__all__ = ["execute_notebook"]

CPU_ENVIRONMENT = {
    "COURSE_PROFILE": "cpu",
    "COURSE_DEVICE": "cpu",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "PYTHONWARNINGS": "ignore::DeprecationWarning",
    "COURSE_SMOKE": "0",
}
SMOKE_ENVIRONMENT = dict(CPU_ENVIRONMENT, COURSE_PROFILE="gpu", COURSE_SMOKE="1")
GPU_ENVIRONMENT = {key: value for key, value in CPU_ENVIRONMENT.items() if key != "COURSE_DEVICE"}
GPU_ENVIRONMENT["COURSE_PROFILE"] = "gpu"


def execute_notebook(
    path: Path,
    timeout: int = 900,
    record_dir: Path | None = None,
    smoke: bool = False,
    gpu_output_dir: Path | None = None,
) -> float:
    """Execute ``path`` and return its wall time in seconds.

    In the cpu profile the executed notebook replaces ``path`` (atomically); a smoke run
    (``smoke=True``) executes the gpu profile's code paths at toy sizes and writes nothing.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        If a cell fails; the notebook file is then left unchanged.
    """
    path = Path(path).resolve()
    notebook = nbformat.read(path, as_version=4)
    # The kernel gets its own environment; this process's os.environ is left as it was.
    environment = dict(os.environ)
    if gpu_output_dir is not None:
        environment.pop("COURSE_DEVICE", None)
        environment.update(GPU_ENVIRONMENT)
    else:
        environment.update(SMOKE_ENVIRONMENT if smoke else CPU_ENVIRONMENT)
    if record_dir is not None:
        environment["COURSE_RUN_RECORD_DIR"] = str(Path(record_dir).resolve())
    kernel = notebook.metadata.get("kernelspec", {}).get("name", "python3")
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name=kernel,
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.perf_counter()
    client.execute(env=environment)
    elapsed = time.perf_counter() - started
    if smoke:
        return elapsed
    if gpu_output_dir is not None:
        gpu_output_dir.mkdir(parents=True, exist_ok=True)
        path = gpu_output_dir.resolve() / path.name
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, suffix=".tmp", delete=False, encoding="utf-8"
    ) as handle:
        nbformat.write(notebook, handle)
    os.chmod(handle.name, 0o644)
    os.replace(handle.name, path)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Execute notebooks in place (CPU profile).")
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    parser.add_argument("--record-dir", type=Path, default=Path("build/run_records"))
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="gpu code paths at toy sizes (COURSE_SMOKE=1); write nothing back",
    )
    parser.add_argument(
        "--profile",
        choices=("cpu", "gpu"),
        default="cpu",
        help="gpu: 1-mm data and 3-D models, written to --output-dir",
    )
    parser.add_argument(
        "--output-dir", type=Path, help="where --profile gpu writes the executed copies"
    )
    args = parser.parse_args(argv)
    if args.profile == "gpu" and args.output_dir is None:
        parser.error(
            "--profile gpu needs --output-dir DIR: the stored notebooks keep their "
            "cpu-profile outputs"
        )
    gpu_dir = args.output_dir if args.profile == "gpu" else None
    failed = []
    for path in args.notebooks:
        try:
            seconds = execute_notebook(
                path,
                args.timeout,
                None if args.smoke else args.record_dir,
                smoke=args.smoke,
                gpu_output_dir=gpu_dir,
            )
            what = "smoke run of" if args.smoke else f"executed ({args.profile} profile)"
            print(f"{what} {path} in {seconds:.1f} s")
        except CellExecutionError as error:
            failed.append(path)
            print(f"FAILED {path}: {str(error)[-2000:]}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
