"""sims.life.identity: the keys that define a brain, that a cohort shares and that enter a label, read from one place, as
the run directory, the cohort and the label use them."""
import pytest

from sims.life.identity import in_label, may_change, shared_by_cohort
from sims.life.labels import scenario_label
from sims.life.resume import run_id
from tests.helpers import tiny_config


@pytest.mark.parametrize("key, resumable, shared, labelled", [
    ("epochs", True, False, False), ("eval.every", True, False, False), ("eval.probes", False, False, False),
    ("device", True, True, False), ("memory_format", True, False, False), ("data.train_size", False, True, False),
    ("cortex.channels.0", False, True, False), ("cortex.init_std", False, False, False), ("seed", False, False, False),
    ("dtype", False, True, False), ("autocast", False, True, True), ("optim.lr", False, False, True),
    ("hippocampus.recombination", False, False, True), ("protocol.blocks.1.keep.REM", False, False, True),
    ("schedule.day_steps", False, True, True), ("epochs_extra", False, False, True),  # a prefix is a whole name
])
def test_each_key_is_classified_once_for_all_three_uses(key, resumable, shared, labelled):
    assert (may_change(key), shared_by_cohort(key), in_label(key)) == (resumable, shared, labelled)


def test_the_run_id_and_the_label_follow_the_classification():
    base = tiny_config()
    assert run_id(tiny_config("epochs=7")) == run_id(base)  # may change: the same run directory
    assert run_id(tiny_config("optim.lr=0.001")) != run_id(base)
    assert scenario_label(tiny_config("seed=3")) == scenario_label(base)  # held fixed by a study: not in the label
    assert scenario_label(tiny_config("optim.lr=0.001")) == "pad (optim.lr=0.001)"
