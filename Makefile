# Machine Learning for Medical Image Processing — the course's commands.
#   make lab      create .venv if missing, install the course, start JupyterLab on notebooks/
#   make test     create .venv if missing, run the unit tests and nbval over every notebook
# More: make execute | student | instructor | benchmarks | clean   (see README.md)

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.course-installed
KERNEL := ml-medical-course
PORT   ?= 8888
# Environment every notebook run uses, so stored outputs and CI see the same profile.
NB_ENV := COURSE_PROFILE=cpu COURSE_DEVICE=cpu TF_CPP_MIN_LOG_LEVEL=3 PYTHONHASHSEED=0
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=900
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))

.PHONY: lab test test-unit test-notebooks execute student instructor benchmarks clean venv

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

test: test-unit test-notebooks

test-unit: $(STAMP)
	$(PY) -m pytest tests -q -m "not network and not browser"

test-notebooks: $(STAMP)
	$(NB_ENV) $(PY) -m pytest -q $(NBVAL) $(NOTEBOOKS)

# Re-execute notebooks in place (CPU profile) to refresh their stored outputs.
# One notebook: make execute NB=notebooks/04_unet_segmentation.ipynb
execute: $(STAMP)
	$(NB_ENV) $(PY) -m course_lib.execute $(or $(NB),$(NOTEBOOKS))

student: $(STAMP)
	$(PY) -m course_lib.student notebooks build/student

instructor: $(STAMP)
	mkdir -p build/instructor && cp notebooks/*.ipynb build/instructor/

benchmarks: $(STAMP)
	for script in benchmarks/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf build .pytest_cache
	find . -name __pycache__ -prune -not -path './$(VENV)/*' -exec rm -rf {} +
