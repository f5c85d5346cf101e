# Machine Learning for Medical Image Processing — the course's commands.
#   make lab      create .venv if missing, install the course, start JupyterLab on notebooks/
#   make test     create .venv if missing: ruff, unit tests, nbval over every notebook (pinned numeric configuration) beside the gpu-path smoke run, browser tests
# More: make execute | student | instructor | slides | test-browser | budget | benchmarks | clean
#       (see README.md; stored outputs are written and checked under NUMERIC=portable; NUMERIC=default is the machine's own)

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.course-installed
KERNEL := ml-medical-course
PORT   ?= 8888
# Environment every notebook run uses, so stored outputs and CI see the same profile. It is
# tools/execute.py's CPU_ENVIRONMENT: make execute (nbclient) and make test-notebooks (nbval)
# must start identical kernels (tests/tools/test_runner_identity.py checks it).
NB_ENV := COURSE_PROFILE=cpu COURSE_DEVICE=cpu COURSE_SMOKE=0 TF_CPP_MIN_LOG_LEVEL=3 \
  PYTHONWARNINGS=ignore::DeprecationWarning PYTHONHASHSEED=0
NB_ENV_GPU := TF_CPP_MIN_LOG_LEVEL=3 PYTHONHASHSEED=0
# Floats in text outputs are compared within tests/nbval_tolerance.toml (tools/nbval_tolerance.py);
# `make test-notebooks TOLERANCE=` compares strictly, as plain nbval does.
TOLERANCE ?= -p tools.nbval_tolerance --nbval-tolerance tests/nbval_tolerance.toml
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=900 $(TOLERANCE)
NOTEBOOKS ?= $(sort $(wildcard notebooks/*.ipynb))
# Numeric configuration of notebook runs. Stored outputs are written (make execute) and checked
# (make test-notebooks, CI) under `portable`, which pins what makes floats differ between x86
# CPUs: one thread everywhere, and every library's kernels capped at AVX2 (torch's ATen,
# oneDNN, MKL in its conditional-reproducibility mode, OpenBLAS, NumPy's SIMD dispatch;
# TensorFlow without oneDNN). Any x86-64 CPU with AVX2 then computes the same bits.
# `default` is the machine's own (all cores, AVX-512 where present), as a student runs it:
# stored outputs must still pass there within tests/nbval_tolerance.toml
# (make test-notebooks NUMERIC=default). See README "For maintainers".
NUMERIC ?= portable
NUMERIC_ENV_default  :=
NUMERIC_ENV_threads1 := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
  TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS=1
NUMERIC_ENV_aten     := ATEN_CPU_CAPABILITY=default
NUMERIC_ENV_onednn   := TF_ENABLE_ONEDNN_OPTS=0
NUMERIC_ENV_avx2     := ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_CBWR=AVX2 \
  OPENBLAS_CORETYPE=Haswell NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR"
NUMERIC_ENV_portable := $(NUMERIC_ENV_threads1) $(NUMERIC_ENV_avx2) $(NUMERIC_ENV_onednn)
ifeq ($(origin NUMERIC_ENV_$(NUMERIC)),undefined)
$(error NUMERIC=$(NUMERIC) is not a numeric configuration: use portable, default, threads1, aten, avx2 or onednn)
endif
NUMERIC_ENV := COURSE_NUMERIC=$(NUMERIC) $(NUMERIC_ENV_$(NUMERIC))

.PHONY: lab lint test test-unit test-notebooks budget test-smoke test-browser execute execute-gpu student instructor slides benchmarks clean clean-cache venv

venv: $(STAMP)

# CPU build of torch (and tensorflow-cpu) when there is no NVIDIA GPU; the default CUDA
# builds otherwise. The exact torch pin keeps pip from pulling a multi-GB CUDA wheel.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi >/dev/null 2>&1; then \
	  $(PY) -m pip install --quiet -e '.[dev,keras]'; \
	else \
	  $(PY) -m pip install --quiet torch==2.13.0 'tensorflow-cpu>=2.16,<3' && \
	  $(PY) -m pip install --quiet -e '.[dev]'; \
	fi
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (ML medical course)"
	touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks --port=$(PORT) \
	  $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

# The notebooks run on one thread (NUMERIC=portable), so the smoke leg runs beside them on the
# other core, itself on one thread; then the browser tests.
test: lint test-unit
	$(MAKE) --no-print-directory -j2 --output-sync=target test-notebooks test-smoke \
	  SMOKE_ENV="$(NUMERIC_ENV_threads1)"
	$(MAKE) --no-print-directory test-browser

# ruff's linter and format check over the code (notebooks excluded; config in pyproject.toml).
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test-unit: $(STAMP)
	$(PY) -m pytest tests -q -m "not network and not browser"

# Each chapter's run record (wall time, peak memory) is collected, and summarised even when a
# cell failed; the target still fails then.
RUN_RECORDS ?= build/run_records
test-notebooks: $(STAMP)
	rm -rf $(RUN_RECORDS)
	@echo "numeric configuration: $(NUMERIC) $(NUMERIC_ENV)"
	status=0; $(NUMERIC_ENV) $(NB_ENV) COURSE_RUN_RECORD_DIR=$(abspath $(RUN_RECORDS)) \
	  $(PY) -m pytest -q $(NBVAL) $(NOTEBOOKS) || status=$$?; \
	$(PY) -m tools.run_records $(RUN_RECORDS) $(NOTEBOOKS); \
	exit $$status

# Fails when a chapter of the last test-notebooks/execute run is over its time or memory budget
# (150 s, 3 GB in the cpu profile). For maintainers, on a quiet machine.
budget: $(STAMP)
	$(PY) -m tools.run_records $(RUN_RECORDS) $(NOTEBOOKS) --check

# Re-execute notebooks in place (CPU profile) to refresh their stored outputs.
# One notebook: make execute NB=notebooks/04_unet_segmentation.ipynb
execute: $(STAMP)
	$(NUMERIC_ENV) $(NB_ENV) $(PY) -m tools.execute $(or $(NB),$(NOTEBOOKS))

# Every chapter through the gpu profile's code paths (3-D models...) at toy sizes on the CPU:
# nothing is compared or written back; a failing cell fails the target.
SMOKE_ENV ?=
test-smoke: $(STAMP)
	$(SMOKE_ENV) $(PY) -m tools.execute --smoke --timeout 600 $(NOTEBOOKS)

# The gpu profile (1-mm data, 3-D models, CUDA where present) on a GPU machine; executed copies
# go to build/gpu/ and the stored cpu-profile notebooks stay as they are.
execute-gpu: $(STAMP)
	$(NB_ENV_GPU) $(PY) -m tools.execute --profile gpu --output-dir build/gpu $(or $(NB),$(NOTEBOOKS))

student: $(STAMP)
	$(PY) -m tools.student notebooks build/student

instructor: $(STAMP)
	mkdir -p build/instructor && cp notebooks/*.ipynb build/instructor/

# Lecture decks (slides/*.md) and every chapter as offline reveal.js HTML in build/slides/.
# The first run npm-installs the pinned front-end assets into slides/node_modules (ignored).
slides: $(STAMP)
	$(PY) slides/build.py

# Real-browser tests (JupyterLab and the built slides) with Debian's chromium. Without
# /usr/bin/chromium they skip, and the slides are not built.
test-browser: $(STAMP)
	if [ -x /usr/bin/chromium ]; then $(MAKE) --no-print-directory slides; fi
	$(PY) -m pytest tests/browser -q -m browser

benchmarks: $(STAMP)
	for script in benchmarks/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

# Empty the simulated-cohort cache (about 10 GB after every chapter has run; bound it with
# COURSE_CACHE_LIMIT_GB). Downloaded real data sets in the same data directory are kept.
clean-cache: $(STAMP)
	$(PY) -c "import shutil; from course_lib.simulation.cache import cache_root; \
	  print('removing', cache_root()); shutil.rmtree(cache_root(), ignore_errors=True)"

clean:
	rm -rf build .pytest_cache
	find . -name __pycache__ -prune -not -path './$(VENV)/*' -exec rm -rf {} +
