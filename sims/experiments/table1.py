"""The paper's Table 1 as an experiment: PAD and its four pathological conditions (without memory mix, without REM,
without NREM, Wake only; sims/conf/scenario/), over seeds, each condition paired by seed with PAD. The report gives
each condition's read-out (mean ± SEM, 95% CI) beside the published row (Appendix 1, Table 1, CIFAR-10 epoch 50),
the paper's orderings as predictions with verdicts, and the occlusion curves (Figure 5)."""
from sims.experiments.runner import Experiment, Prediction, run

TABLE1 = "Deperrois et al. 2022, Table 1 (CIFAR-10, epoch 50: PAD 58.25 ± 0.70"

EXPERIMENT = Experiment(
    name="table1", title="Table 1: PAD and its pathological conditions", protocol="none",
    sweep=("scenario=no_memory_mix,no_rem,no_nrem,wake_only",), control_is=("scenario_name", "pad"),
    names_from="scenario_name", published=True,
    notes="each condition is paired with the PAD brain of the same seed (the same streams: initial weights, day "
          "images); w/o REM, w/o NREM and Wake only remove phases and their updates, as the paper compares them; "
          "w/o memory mix keeps every update and changes only what drives REM.",
    quick=("data=cifar10", "data.train_size=5120", "data.test_size=1000", "epochs=8", "eval.readout_epochs=20"),
    seeds={"quick": "0,1,2,3,4,5,6,7,8,9"},  # 10: the t-test, and power for the pilot's d_z ~ 1.5 (README)
    predictions=(
        Prediction("readout", "lower", f"{TABLE1}, w/o REM 46.00 ± 0.43): PAD > w/o REM", condition="no_rem"),
        Prediction("readout", "lower", f"{TABLE1}, Wake only 42.25 ± 0.54): PAD > Wake only",
                   condition="wake_only"),
        Prediction("readout", "lower", f"{TABLE1}, w/o memory mix 53.87 ± 0.85): PAD > w/o memory mix",
                   condition="no_memory_mix"),
        Prediction("readout", "none", f"{TABLE1}, w/o NREM 58.00 ± 0.34): PAD ≈ w/o NREM", condition="no_nrem"),
        Prediction("occluded_inter_ratio", "higher", "PAD: removing NREM raises the clean-occluded/inter ratio",
                   condition="no_nrem"),
        Prediction("intra_inter_ratio", "higher", "PAD: removing REM raises the intra/inter ratio toward an "
                                                  "untrained network's", condition="no_rem"),
    ))

if __name__ == "__main__":
    run(EXPERIMENT)
