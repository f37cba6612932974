from dataclasses import dataclass
from typing import Optional

from records.schema import setting


@dataclass
class HippocampusConfig:
    # Episodes held (a ring buffer on the device). None: two days of episodes, sized from the day plan, which is
    # what the paper's REM needs (today's and yesterday's). A smaller store is refused where a strategy needs yesterday.
    capacity: Optional[int] = setting(None, low=1)
    # Strategies by name (hippocampus.STRATEGIES, which imports this module: sims.life.validation checks the names)
    replay: str = setting("single")  # how replay (NREM) recalls episodes
    recombination: str = setting("mix")  # how recombination (REM) mixes episodes
    memory_mix: float = setting(0.5, low=0, high=1)  # lambda: weight of today's episode against yesterday's
    cortex_mix: float = setting(0.5, low=0, high=1)  # lambda': weight of the memories against spontaneous cortical noise
