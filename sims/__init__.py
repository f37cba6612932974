"""The simulator: a brain lives days and nights; its activity is logged as xarray/netCDF."""
__version__ = "0.1.0"
