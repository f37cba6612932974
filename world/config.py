"""Which images the world holds: the `data` group of the simulator's configuration (Hydra structured config)."""
from dataclasses import dataclass
from enum import Enum
from typing import Optional

from records.schema import setting


class DataName(str, Enum):
    cifar10 = "cifar10"
    svhn = "svhn"
    shapes = "shapes"


@dataclass
class DataConfig:
    name: DataName = DataName.cifar10
    # Unset: $PAD_DATA, then ./data, then ../shared/data beside the repository, then torchvision's download into ./data.
    root: Optional[str] = setting(None)
    train_size: Optional[int] = setting(None, low=1)  # first N training images (None: all)
    test_size: Optional[int] = setting(None, low=1)  # first N test images (None: all)
    download: bool = True  # let torchvision download where no local copy is found
