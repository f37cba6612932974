"""Chronic sleep restriction at three doses (nights cut to 75%, 50% and 25% of their length, the REM-rich end first;
6, 4 and 2 h of 8), then recovery."""
from sims.experiments.runner import Experiment, Prediction, run

EXPERIMENT = Experiment(
    name="restriction", title="Chronic sleep restriction at three doses", protocol="restriction",
    sweep=("protocol.blocks.1.night_fraction=0.75,0.5,0.25",), manipulation_block="restriction",
    notes="manipulated brains and controls share seed and daytime images; nights are cut from their REM-rich "
          "end, removing those sleep steps and updates (the manipulation itself).",
    predictions=(
        Prediction("readout", "lower", "<= 6 h: deficits grow steadily with the dose [Van Dongen 2003]; PAD: less REM, "
                                       "slower rise of separability"),
        Prediction("rem_share", "lower", "shortened nights lose the REM-rich end first", at="manipulation"),
    ))

if __name__ == "__main__":
    run(EXPERIMENT)
