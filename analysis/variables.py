"""Declarations of logged variables (name, dimensions, units, description), and those of the paper's metrics.

The simulator's activity file and `analysis.evaluate`'s evaluation file are both built from these declarations;
each variable is declared once, here or in `sims/activity.py` (which imports these).
"""
from dataclasses import dataclass


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
