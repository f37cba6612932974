"""Every logged variable, declared once: name, dimensions, units and description. The recorder builds the file from these.

The metrics' declarations live in `analysis.variables`, shared with `python -m analysis.evaluate`.
"""
from analysis.variables import GEOMETRY_VARIABLES, READOUT_VARIABLES, Variable


# Figures the phase steps compute on the device; NaN where a step's state does not produce them.
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
)

# Figures the schedule and the controller fix on the host.
HOST_STEP_VARIABLES = (
    Variable("ach", ("brain", "step"), "1", "acetylcholine level, as a fraction of its waking level"),
    Variable("na", ("brain", "step"), "1", "noradrenaline level, as a fraction of its waking level"),
    Variable("generator_sign", ("brain", "step"), "1",
             "sign of G's plasticity: +1 normal, -1 sign-switched (adversarial), 0 not plastic"),
    Variable("discriminator_gate", ("brain", "step"), "1", "1 if the discriminator receives a teaching signal"),
    Variable("discriminator_target", ("brain", "step"), "1", "discriminator teaching target: 1 external, 0 internal"),
)

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
    "state": ("state", "", "brain state of the step: WAKE, NREM or REM"),
}
