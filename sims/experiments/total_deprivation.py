"""Acute total sleep deprivation, then recovery: no sleep at all in the manipulation block; the homeostat (on for
manipulated brains and controls) makes the recovery nights longer and NREM-heavier first, REM-heavier later (see the
report's hypnograms; tests/test_protocol.py checks it night by night)."""
from sims.experiments.runner import Experiment, Prediction, run

EXPERIMENT = Experiment(
    name="total_deprivation", title="Acute total sleep deprivation with recovery", protocol="total_deprivation",
    common=("homeostat.enabled=true",), manipulation_block="deprivation",
    notes="manipulated brains and controls share seed, daytime images and the homeostat; in the block every "
          "sleep step (and its update) is removed, the manipulation itself; recovery nights are longer.",
    predictions=(
        Prediction("readout", "lower", "PAD: Wake only (no sleep) reaches 42.3 against PAD's 58.3 on CIFAR-10"),
    ))

if __name__ == "__main__":
    run(EXPERIMENT)
