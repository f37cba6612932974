"""The paper's published numbers, for comparison beside simulated ones.

Source: Deperrois, Petrovici, Senn & Jordan (2022), "Learning cortical representations through perturbed and
adversarial dreaming", eLife 11:e76384, https://doi.org/10.7554/eLife.76384 — Appendix 1, Table 1 ("Final
classification performance for the full model and all pathological conditions for unoccluded images"), as in
../shared/REFERENCE.md:
test accuracy (percent) of a linear read-out of z at the end of training (epoch 50), mean ± SEM over 4 seeds.
Untrained-network read-out baselines: about 29% (CIFAR-10) and 19% (SVHN), read from the paper's Figure 4 plots as
noted in ../shared/REFERENCE.md (the text gives no number).
"""
from typing import NamedTuple

SOURCE = ("Deperrois et al. (2022) eLife 11:e76384, Appendix 1 Table 1: linear read-out test accuracy at epoch 50, "
          "mean ± SEM over 4 seeds")
EPOCH = 50
SEEDS = 4


class Published(NamedTuple):
    mean: float  # percent
    sem: float  # percent
    n: int = SEEDS
    epoch: int = EPOCH


# dataset (the run config's data.name) -> scenario (sims/conf/scenario/*.yaml) -> read-out accuracy
READOUT_ACCURACY: dict[str, dict[str, Published]] = {
    "cifar10": {
        "pad": Published(58.25, 0.70), "no_memory_mix": Published(53.87, 0.85), "no_rem": Published(46.00, 0.43),
        "no_nrem": Published(58.00, 0.34), "wake_only": Published(42.25, 0.54),
    },
    "svhn": {
        "pad": Published(78.92, 0.40), "no_memory_mix": Published(60.87, 5.07), "no_rem": Published(42.30, 1.51),
        "no_nrem": Published(73.25, 0.22), "wake_only": Published(41.93, 0.65),
    },
}

# Read-out accuracy of an untrained network (the paper's Figure 4 baselines; approximate, read from its plots).
UNTRAINED_READOUT = {"cifar10": 29.0, "svhn": 19.0}


def readout_accuracy(dataset: str, scenario: str) -> Published | None:
    """The published read-out accuracy of `scenario` on `dataset`, or None where the paper gives none."""
    return READOUT_ACCURACY.get(dataset, {}).get(scenario)
