"""Selective slow-wave (NREM) deprivation: the NREM slot stays in every night but its slow-wave function, perturbed
dreaming, is removed for the manipulation block (total sleep unchanged), then recovery."""
from sims.experiments.runner import Experiment, Prediction, run

EXPERIMENT = Experiment(
    name="nrem_deprivation", title="Selective slow-wave (NREM) deprivation", protocol="nrem_deprivation",
    manipulation_block="deprivation",
    notes="the NREM step stays in every night with its loss weight 0 in the block: the same seed, images, steps"
          " and sleep steps; only NREM's plasticity is removed.",
    predictions=(
        Prediction("robustness", "lower", "PAD: without NREM, accuracy falls faster with occlusion (Figure 5)"),
        Prediction("robustness_drop", "higher", "PAD: clean accuracy about equal, occluded accuracy lower"),
        Prediction("occluded_inter_ratio", "higher", "PAD: removing NREM raises the clean-occluded/inter ratio"),
        Prediction("readout", "none", "PAD: without NREM clean accuracy is about equal (58.0 vs 58.3 at epoch 50)"),
    ))

if __name__ == "__main__":
    run(EXPERIMENT)
