"""Physostigmine during slow-wave sleep: NREM's ACh rises above threshold, so NREM dreams become ACh-driven
(adversarial) instead of perturbed replay of single episodes."""
from sims.experiments.runner import Experiment, Prediction, run

EXPERIMENT = Experiment(
    name="physostigmine", title="Physostigmine (cholinesterase inhibitor) during NREM", protocol="physostigmine",
    manipulation_block="treatment",
    notes="the same seed, images, steps and updates; only the neuromodulator levels of the block's nights "
          "change.",
    predictions=(
        Prediction("robustness", "lower", "given during slow-wave sleep it blocked consolidation [Gais & Born 2004]; "
                                          "PAD: NREM's perturbed dreaming lost"),
        Prediction("robustness_drop", "higher", "PAD: occlusion robustness comes from NREM"),
    ))

if __name__ == "__main__":
    run(EXPERIMENT)
