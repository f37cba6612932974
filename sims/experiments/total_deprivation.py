"""Acute total sleep deprivation, then recovery: no sleep at all in the manipulation block; the homeostat (on for
manipulated brains and controls) makes the recovery nights longer and NREM-heavier first, REM-heavier later."""
from sims.experiments.runner import Experiment, Prediction, run

EXPERIMENT = Experiment(
    name="total_deprivation", title="Acute total sleep deprivation with recovery", protocol="total_deprivation",
    common=("homeostat.enabled=true",), manipulation_block="deprivation",
    predictions=(
        Prediction("readout", "lower", "PAD: Wake only (no sleep) reaches 42.3 against PAD's 58.3 on CIFAR-10"),
        Prediction("nrem_share", "higher", "recovery night 1 is slow-wave heavy [Borbely 1982] (measured at the run's end "
                                           "only if recovery is still under way)"),
    ))

if __name__ == "__main__":
    run(EXPERIMENT)
