"""Measurements of what the paper measures, from encoders, latents and logged activity (never imports `sims`)."""
from analysis.readout import Readout, encode_cohort, encode_dataset, linear_readout, linear_readouts

__all__ = ["Readout", "encode_cohort", "encode_dataset", "linear_readout", "linear_readouts"]
