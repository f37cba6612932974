"""Selective REM deprivation with rebound: woken at every REM onset for the manipulation block (Dement 1960; the
flower pot's ~57% is `protocol.blocks.1.keep.REM=0.57`), then recovery; the homeostat is on for manipulated brains
and controls alike, so the REM owed accumulates as debt and rebounds after the block."""
from sims.experiments.runner import Experiment, Prediction, run

EXPERIMENT = Experiment(
    name="rem_deprivation", title="Selective REM deprivation with rebound", protocol="rem_deprivation",
    common=("homeostat.enabled=true",), manipulation_block="deprivation",
    # piloted on seeds 100-107 (README): 10 epochs of deprivation and 8 seeds answer; the recovery is full mode's
    quick=("epochs=12",), seeds={"quick": "0,1,2,3,4,5,6,7"},
    quick_blocks=("protocol.blocks.0.stop=3", "protocol.blocks.1.start=3", "protocol.blocks.1.stop=13",
                  "protocol.blocks.2.start=13"),
    notes="manipulated brains and controls share seed, daytime images and the homeostat; in the block the "
          "deprived brains lose their REM steps (and those REM updates: the manipulation itself), NREM "
          "unchanged; afterwards the homeostat's rebound adds REM steps.",
    predictions=(
        Prediction("readout", "lower", "PAD: without REM separability rises more slowly (CIFAR-10 epoch 50: 58.3 -> 46.0)"),
        Prediction("intra_inter_ratio", "higher", "PAD: removing REM raises the intra/inter-class distance ratio"),
        Prediction("rem_share", "lower", "REM deprivation: REM removed during the block, NREM unchanged",
                   at="manipulation"),
    ))

if __name__ == "__main__":
    run(EXPERIMENT)
