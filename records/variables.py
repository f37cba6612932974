"""Every logged variable, declared once: name, dimensions, units and description; and the occlusion levels.

The simulator's recorder builds `activity.nc` from these, `python -m analysis.evaluate` builds `evaluation.nc` from them,
and the tests check both files against them. They live in this leaf package because the simulator and the analysis
both need them and neither may import the other's internals (analysis never imports sims).
"""
from dataclasses import dataclass

# Drop probabilities of the occlusion curve: 0, 0.1, ..., 1.0 as in the paper's Figure 5.
# The activity file's layout, written as its `pad_format` attribute: raise it when a reader of the old layout would
# misread the new one (a renamed or re-dimensioned variable), not for added variables. Files without it are format 1.
# Format 2 (2026-12-06): the brain's label coordinate is `condition` (was `scenario`; the scenario's own name is the
# `scenario_name` attribute); `diverged_day` is NaN where the brain never diverged (was -1); the attributes below.
FORMAT = 2
# Global attributes that say what the simulator knew, so that no reader re-derives it: the days of an epoch, and the
# protocol's blocks as day ranges (JSON: [{"name", "first_day", "stop_day"}], days since the run began, stop_day
# exclusive, null for a block that lasts to the run's end).
DAYS_PER_EPOCH = "days_per_epoch"
PROTOCOL_BLOCKS = "protocol_blocks"
OCCLUSION_LEVELS = tuple(k / 10 for k in range(11))


@dataclass(frozen=True)
class Variable:
    name: str
    dims: tuple[str, ...]
    units: str
    long_name: str

    @property
    def attrs(self) -> dict:
        return {"units": self.units, "long_name": self.long_name}


READOUT_VARIABLES = (
    Variable("readout_accuracy", ("brain", "epoch"), "percent",
             "test accuracy of a linear read-out of z trained on the training set (all test images); NaN if not evaluated"),
    Variable("readout_accuracy_exact", ("brain", "epoch"), "percent",
             "the same read-out's accuracy on the test images with exact pixels (CIFAR-10: the first 1000)"),
    Variable("occlusion_accuracy", ("brain", "epoch", "occlusion"), "percent",
             "accuracy of the clean-trained read-out on test images occluded by squares of side 4 dropped with "
             "probability `occlusion` (one mask per image)"),
)

GEOMETRY_VARIABLES = (
    Variable("intra_inter_ratio", ("brain", "epoch"), "1",
             "mean distance of same-class latent pairs over that of different-class pairs (test images)"),
    Variable("occluded_inter_ratio", ("brain", "epoch"), "1",
             "mean distance between a test image's z and its 30%-occluded copy's, over the different-class distance"),
)

FID_VARIABLES = (
    Variable("fid_nrem", ("brain", "epoch"), "1", "FID of NREM dreams G(E(x)) against the training images"),
    Variable("fid_rem", ("brain", "epoch"), "1", "FID of REM dreams (recombined memories and noise) against the training images"),
)

PCA_VARIABLES = (  # measured at the last epoch `python -m analysis.evaluate` measures (attribute pca_epoch)
    Variable("pca_clean", ("brain", "sample", "component"), "1",
             "z of test images projected on the first principal components of those latents"),
    Variable("pca_occluded", ("brain", "sample", "component"), "1",
             "z of the same test images, 30% occluded (square 4), projected on the clean latents' components"),
    Variable("pca_label", ("brain", "sample"), "1", "class label of each projected test image"),
)

OCCLUSION_COORD = {"units": "1", "long_name": "probability that an occluding square is dropped (set to grey)"}


# Per-step population statistics of every area of the feedforward pass a step ran (Wake: driven by the image x;
# NREM: by the occluded dream; REM: by the recombined dream G(seeds)): the cortex's areas, V1 (the low-level activity
# itself) to IT, then z (the linear latent code). Computed by cortex.population, detached (they change no gradient).
POPULATION_VARIABLES = (
    Variable("activity_mean", ("brain", "step", "area"), "1",
             "mean activity of the area's units over the batch and the units, along the step's feedforward pass "
             "(Wake: the image; NREM: the occluded dream; REM: the recombined dream)"),
    Variable("active_fraction", ("brain", "step", "area"), "1",
             "fraction of the area's units with activity > 0, over the batch and the units, along the step's "
             "feedforward pass"),
    Variable("population_sparseness", ("brain", "step", "area"), "1",
             "Treves-Rolls population sparseness with Vinje & Gallant (2000) normalisation of the rectified activity "
             "r = max(a, 0) across the area's N units, per sample: (1 - mean(r)^2 / mean(r^2)) / (1 - 1/N) "
             "(1 where every unit is silent, or N = 1), mean over the batch; along the step's feedforward pass"),
)
AREA_COORD = {"long_name": "area of the hierarchy, bottom (V1: the low-level activity) to top, then z (latent code)"}

# Figures the phase steps compute on the device; NaN where a step's state does not produce them. Scalars first (one
# column each in the recorder), then the per-area population statistics (one column per area).
DEVICE_STEP_VARIABLES = (
    Variable("loss_reconstruction", ("brain", "step"), "1",
             "Wake: mean squared error between G(z) and the image x, both in [-1, 1]"),
    Variable("loss_kl", ("brain", "step"), "nat",
             "Wake: KL divergence of the batch statistics of z from N(0, 1), mean over latent dimensions"),
    Variable("loss_latent", ("brain", "step"), "1",
             "NREM: mean squared error between E_z(occluded G(z)) and the replayed episode z"),
    Variable("loss_discriminator", ("brain", "step"), "nat",
             "binary cross-entropy of d against the state's teaching target (Wake: real loss, target 1; "
             "REM: fake loss, target 0; G's adversarial loss is its negative)"),
    Variable("discriminator_output", ("brain", "step"), "1",
             "mean discriminator output d in [0, 1] (1 = externally driven): on images in Wake, on dreams in REM"),
) + POPULATION_VARIABLES

# Figures the schedule and the controller fix on the host.
HOST_STEP_VARIABLES = (
    Variable("ach", ("brain", "step"), "1", "acetylcholine level, as a fraction of its waking level"),
    Variable("na", ("brain", "step"), "1", "noradrenaline level, as a fraction of its waking level"),
    Variable("generator_sign", ("brain", "step"), "1",
             "sign of G's plasticity: +1 normal, -1 sign-switched (adversarial), 0 not plastic"),
    Variable("discriminator_gate", ("brain", "step"), "1", "1 if the discriminator receives a teaching signal"),
    Variable("discriminator_target", ("brain", "step"), "1", "discriminator teaching target: 1 external, 0 internal"),
)

# Which device figures each step logged (a NaN with its bit clear: not logged; with its bit set: the run diverged there),
# and where each brain diverged. CF flag attributes name the bits in the order of DEVICE_STEP_VARIABLES.
LOGGED = Variable("logged", ("brain", "step"), "1",
                  "bit k set: the k-th per-step figure (flag_meanings) was logged at this step")
DIVERGED_DAY = Variable("diverged_day", ("brain",), "1",
                        "first day (0-based, since the run began) with a non-finite logged figure, weight or Adam "
                        "state; NaN if the brain never diverged")


assert len(DEVICE_STEP_VARIABLES) <= 8, "`logged` is uint8 (one bit per device figure): widen it in sims.life.recorder"


def logged_flag_attrs() -> dict:
    return LOGGED.attrs | {"flag_masks": [1 << k for k in range(len(DEVICE_STEP_VARIABLES))],
                           "flag_meanings": " ".join(v.name for v in DEVICE_STEP_VARIABLES)}


EPOCH_VARIABLES = READOUT_VARIABLES + GEOMETRY_VARIABLES + (
    Variable("epoch_seconds", ("brain", "epoch"), "s", "wall-clock time of the epoch's days and nights"),
)

DREAM_VARIABLES = (
    Variable("dream_nrem", ("brain", "epoch", "probe", "channel", "row", "col"), "1",
             "NREM dream of each probe memory, G(E_z(x_probe)), before occlusion, in [-1, 1]; NaN if not evaluated"),
    Variable("dream_rem", ("brain", "epoch", "probe", "channel", "row", "col"), "1",
             "REM dream of each probe memory recombined with the next probe and fixed cortical noise, in [-1, 1]"),
)

PROBE_VARIABLES = (
    Variable("probe_image", ("brain", "probe", "channel", "row", "col"), "1",
             "the fixed test images whose dreams are logged, in [-1, 1]"),
)

COORDINATES = {
    "epoch": ("epoch", "1", "training epoch (1-based) a step belongs to"),
    "day": ("day", "1", "day count since the start of the run (0-based) a step belongs to"),
    "night": ("night", "1", "the night a step belongs to (the day it follows; its arousals too); -1 for the day's own "
                            "Wake steps"),
    "state": ("state", "", "brain state of the step: WAKE, NREM or REM"),
    "block": ("block", "", "protocol block the step's day lies in (empty outside every block)"),
}

# Per-epoch sleep statistics, from the lived steps (and the homeostat where it is on).
SLEEP_VARIABLES = (
    Variable("nrem_share", ("brain", "epoch"), "1", "share of the epoch's night steps spent in NREM"),
    Variable("rem_share", ("brain", "epoch"), "1", "share of the epoch's night steps spent in REM"),
    Variable("nights_shortened", ("brain", "epoch"), "1",
             "nights of the epoch with fewer sleep steps than their cycle plans (periods dropped, restriction)"),
    Variable("nights_broken", ("brain", "epoch"), "1", "nights of the epoch broken by at least one arousal"),
    Variable("rem_debt", ("brain", "epoch"), "step", "REM steps owed and not yet repaid at the epoch's end (homeostat)"),
    Variable("sleep_pressure", ("brain", "epoch"), "1", "homeostatic pressure S at the epoch's end (homeostat)"),
)

# YASA's integer stage codes (yasa.Hypnogram, 3 stages), used by the hypnogram export.
YASA_CODES = {"WAKE": 0, "NREM": 2, "REM": 4, "UNS": -2}
STATES = ("WAKE", "NREM", "REM")

# Recorded activity (analysis.activity): a fixed subset of units of every area, for fixed probe memories, along both
# pathways in each state, at each recording (evaluated epoch ends; also every `record.every_days` days).
PATHWAYS = ("feedforward", "feedback")
# In the file the state and probe axes of recorded activity have names of their own, because `state` is already the
# per-step state coordinate and `probe` the dreams' probes; analysis.activity.recorded(ds) gives them back their names.
RECORDED_NAMES = {"state": "record_state", "probe": "record_probe", "probe_label": "record_probe_label",
                  "probe_index": "record_probe_index"}
ACTIVITY_VARIABLE = Variable(
    "activity", ("brain", "recording", "record_state", "pathway", "record_probe", "area", "unit"), "1",
    "activity of recorded units: feedforward, driven by the probe image (WAKE), its occluded NREM dream, its REM dream; "
    "feedback, generating from the probe's code (WAKE and NREM: the replayed episode) or its REM recombination; "
    "NaN pads areas that keep fewer units")
UNIT_COORDS = {"unit_channel": "channel of the recorded unit in its area (-1: padding)",
               "unit_row": "row of the recorded unit in its area (-1: padding)",
               "unit_col": "column of the recorded unit in its area (-1: padding)"}
RECORDING_COORDS = {"recording_day": "days lived when the activity was recorded (the end of that day's night)",
                    "recording_epoch": "the epoch the recording ends or lies in"}
PROBE_COORDS = {"probe_label": "class of the probe memory", "probe_index": "index of the probe image in the test set"}
