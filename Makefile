# Everything installs into .venv; torch is pinned to the CPU build so that a
# fresh machine never pulls a multi-GB CUDA wheel.
VENV ?= .venv
PY := $(VENV)/bin/python
TORCH ?= torch==2.13.0

.PHONY: demo test test-slow lint bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/resgen build specs/resnet50.yaml --diagram svg,html --check

# The everyday suite (a few minutes); `test-slow` adds what takes longer:
# ImageNet-size torch.compile and ONNX runs, DDP under torchrun, the browser
# test of the HTML view, a wheel install. CI runs both.
test: $(VENV)/.installed lint
	$(PY) -m pytest -q -m "not slow"

test-slow: $(VENV)/.installed
	$(PY) -m pytest -q -m slow

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

bench: $(VENV)/.installed
	$(PY) benchmarks/bench_build.py

clean:
	rm -rf $(VENV) build
