from dataclasses import dataclass
from typing import Optional


@dataclass
class HippocampusConfig:
    # Episodes held (a ring buffer on the device). None: two days of episodes, sized from the day plan, which is
    # what the paper's REM needs (today's and yesterday's). A smaller store is refused where a strategy needs yesterday.
    capacity: Optional[int] = None
    replay: str = "single"  # how replay (NREM) recalls episodes: a name in hippocampus.STRATEGIES
    recombination: str = "mix"  # how recombination (REM) mixes episodes: a name in hippocampus.STRATEGIES
    memory_mix: float = 0.5  # lambda: weight of today's episode against yesterday's
    cortex_mix: float = 0.5  # lambda': weight of the memories against spontaneous cortical noise
