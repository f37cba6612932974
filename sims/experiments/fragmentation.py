"""Sleep fragmentation: every night of the manipulation block is broken by two arousals, Wake steps that see the
world and store episodes, total sleep unchanged; then recovery. The arousals also add two Wake updates a night, so
the report tests the predictions against a matched control that gets the same Wake steps after an unbroken night
(`arousals_at=night_end`): the same updates, images and episodes, only the breaking of sleep differs."""
from sims.experiments.runner import Experiment, Prediction, run

EXPERIMENT = Experiment(
    name="fragmentation", title="Sleep fragmentation", protocol="fragmentation", manipulation_block="fragmentation",
    sweep=("protocol.blocks.1.arousals_at=random,night_end",),
    matched_by=("protocol.blocks.1.arousals_at", "random", "night_end"),
    notes="fragmented brains (arousals_at=random) wake twice a night at random places; their matched control "
          "(arousals_at=night_end) lives the same two Wake steps after an unbroken night: the same seed, images, "
          "gradient updates, stored episodes and sleep steps, only the fragmentation differs, so the predictions "
          "are tested against it. Against the unmatched control (no protocol) both have two more Wake updates a "
          "night: those rows are exploratory.",
    predictions=(
        Prediction("readout", "lower", "rodents: hippocampal LTP and spatial learning impaired by fragmentation"),
    ))

if __name__ == "__main__":
    run(EXPERIMENT)
