"""Which images the world holds: the `data` group of the simulator's configuration (Hydra structured config)."""
from dataclasses import dataclass
from enum import Enum
from typing import Optional


class DataName(str, Enum):
    cifar10 = "cifar10"
    svhn = "svhn"
    shapes = "shapes"


@dataclass
class DataConfig:
    name: DataName = DataName.cifar10
    # Unset: $PAD_DATA, then ./data, then ../shared/data beside the repository, then torchvision's download into ./data.
    root: Optional[str] = None
    train_size: Optional[int] = None  # first N training images (None: all)
    test_size: Optional[int] = None  # first N test images (None: all)
    download: bool = True  # let torchvision download where no local copy is found
