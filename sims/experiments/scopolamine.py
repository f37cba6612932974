"""Scopolamine at night: REM's ACh falls below the controller's threshold, so REM loses its adversarial plasticity;
tolerance over ~3 nights, a REM rebound (more ACh) on withdrawal."""
from sims.experiments.runner import Experiment, Prediction, run

EXPERIMENT = Experiment(
    name="scopolamine", title="Scopolamine (muscarinic antagonist) at night", protocol="scopolamine",
    manipulation_block="treatment",
    notes="the same seed, images, steps and updates; only the neuromodulator levels of the block's nights "
          "change. With tolerance over 3 nights the drug acts on the first nights of the block only.",
    predictions=(
        Prediction("readout", "lower", "scopolamine reduces REM and impairs encoding; PAD: without adversarial REM "
                                       "separability rises more slowly"),
        Prediction("intra_inter_ratio", "higher", "PAD: impaired REM raises the intra/inter-class distance ratio"),
    ))

if __name__ == "__main__":
    run(EXPERIMENT)
