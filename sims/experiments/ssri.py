"""An SSRI: NA is kept up in REM, so REM loses its ACh-alone, adversarial plasticity (REM suppressed)."""
from sims.experiments.runner import Experiment, Prediction, run

EXPERIMENT = Experiment(
    name="ssri", title="An SSRI (REM suppression)", protocol="ssri", manipulation_block="treatment",
    notes="the same seed and steps; only the neuromodulator levels of the block's nights change (a sensory-"
          "driven REM then sees images as arousals do).",
    predictions=(
        Prediction("readout", "lower", "PAD's authors predict worse object decoding after chronic REM impairment by "
                                       "antidepressants; Rasch 2009 found overnight skill and word-pair memory "
                                       "unimpaired"),
    ))

if __name__ == "__main__":
    run(EXPERIMENT)
