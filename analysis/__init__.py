"""Measurements of what the paper measures, from encoders, latents and logged activity (never imports `sims`)."""
from analysis.readout import Readout, encode_dataset, linear_readout

__all__ = ["Readout", "encode_dataset", "linear_readout"]
