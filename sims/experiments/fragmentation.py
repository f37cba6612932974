"""Sleep fragmentation: every night of the manipulation block is broken by two arousals, Wake steps that see the
world and store episodes, total sleep unchanged; then recovery."""
from sims.experiments.runner import Experiment, Prediction, run

EXPERIMENT = Experiment(
    name="fragmentation", title="Sleep fragmentation", protocol="fragmentation", manipulation_block="fragmentation",
    predictions=(
        Prediction("readout", "lower", "rodents: hippocampal LTP and spatial learning impaired by fragmentation"),
        Prediction("rem_share", "lower", "fragmented nights: REM reduced, bouts shorter (here: a smaller share of the "
                                         "night's steps)", at="manipulation"),
    ))

if __name__ == "__main__":
    run(EXPERIMENT)
