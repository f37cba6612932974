from dataclasses import dataclass


@dataclass
class HippocampusConfig:
    # Episodes held (a ring buffer on the device). The paper's REM needs today's and yesterday's: two batches.
    capacity: int = 128
    replay: str = "single"  # how replay (NREM) recalls episodes: a name in hippocampus.STRATEGIES
    recombination: str = "mix"  # how recombination (REM) mixes episodes: a name in hippocampus.STRATEGIES
    memory_mix: float = 0.5  # lambda: weight of today's episode against yesterday's
    cortex_mix: float = 0.5  # lambda': weight of the memories against spontaneous cortical noise
