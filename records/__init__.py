"""Names every package shares: logged-variable declarations, the atomic file writer, the one error type.

A leaf: imports nothing from cortex, hippocampus, neuromod, world, sims or analysis, so any of them may import it.
"""
