# Machine Learning for Medical Image Processing — the course's commands.
#   make lab      create .venv if missing, install the course, start JupyterLab on notebooks/
#   make test     create .venv if missing, run the unit tests and nbval over every notebook
# More: make execute | student | instructor | slides | test-browser | benchmarks | clean   (see README.md)

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.course-installed
KERNEL := ml-medical-course
PORT   ?= 8888
# Environment every notebook run uses, so stored outputs and CI see the same profile.
NB_ENV := COURSE_PROFILE=cpu COURSE_DEVICE=cpu TF_CPP_MIN_LOG_LEVEL=3 PYTHONHASHSEED=0
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=900
NOTEBOOKS ?= $(sort $(wildcard notebooks/*.ipynb))

.PHONY: lab test test-unit test-notebooks test-smoke test-browser execute student instructor slides benchmarks clean venv

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

test: test-unit test-notebooks test-browser

test-unit: $(STAMP)
	$(PY) -m pytest tests -q -m "not network and not browser"

# Each chapter's run record (wall time, peak memory) is collected and summarised.
test-notebooks: $(STAMP)
	rm -rf build/run_records
	$(NB_ENV) COURSE_RUN_RECORD_DIR=$(CURDIR)/build/run_records $(PY) -m pytest -q $(NBVAL) $(NOTEBOOKS)
	$(PY) -c "from course_lib.core.run_record import summarize; print(summarize('build/run_records'))"

# Re-execute notebooks in place (CPU profile) to refresh their stored outputs.
# One notebook: make execute NB=notebooks/04_unet_segmentation.ipynb
execute: $(STAMP)
	$(NB_ENV) $(PY) -m tools.execute $(or $(NB),$(NOTEBOOKS))

# Every chapter through the gpu profile's code paths (3-D models...) at toy sizes on the CPU:
# nothing is compared or written back; a failing cell fails the target.
test-smoke: $(STAMP)
	$(PY) -m tools.execute --smoke --timeout 600 $(NOTEBOOKS)

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

clean:
	rm -rf build .pytest_cache
	find . -name __pycache__ -prune -not -path './$(VENV)/*' -exec rm -rf {} +
