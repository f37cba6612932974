"""The dataset on the device as uint8, and batches drawn there."""
import numpy as np
import torch
from torch import Tensor

from cortex import to_activity
from records.errors import PadError
from world.fingerprint import fingerprint
from world.sources import Arrays


class World:
    def __init__(self, arrays: Arrays, device: torch.device, batch_size: int):
        as_tensor = lambda a: torch.from_numpy(np.array(a, order="C")).to(device)  # a copy: sources may be read-only
        self.train_x, self.train_y = as_tensor(arrays.train_x), as_tensor(arrays.train_y)  # (n, 3, 32, 32) uint8, (n,)
        self.test_x, self.test_y = as_tensor(arrays.test_x), as_tensor(arrays.test_y)
        self.test_exact = as_tensor(arrays.test_exact)
        self.source = arrays.source
        self.fingerprint = fingerprint(arrays)  # computed once: the activity file's data_fingerprint, evaluate's check
        self.batch_size = batch_size
        if len(self.train_y) < batch_size:
            raise PadError(f"data.train_size={len(self.train_y)}: fewer images than one batch of optim.batch_size={batch_size}")

    @property
    def batches_per_epoch(self) -> int:
        return len(self.train_y) // self.batch_size  # drop_last

    def shuffle(self, generator: torch.Generator) -> Tensor:
        """A fresh order of the training set for one epoch."""
        return torch.randperm(len(self.train_y), generator=generator, device=self.train_y.device)

    def sample(self, generator: torch.Generator) -> Tensor:
        """A batch of training images drawn at random (with replacement), as low-level activity: what a brain sees
        when it wakes outside its day (an arousal), without taking batches from the epoch's order."""
        rows = torch.randint(0, len(self.train_y), (self.batch_size,), generator=generator, device=self.train_y.device)
        return to_activity(self.train_x[rows])

    def batch(self, order: Tensor, index: int) -> Tensor:
        """Batch `index` of an epoch's order, as low-level activity (batch, 3, 32, 32)."""
        rows = order[index * self.batch_size : (index + 1) * self.batch_size]
        return to_activity(self.train_x[rows])
