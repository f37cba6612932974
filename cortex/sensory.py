"""Sensory transduction: stored 8-bit images become low-level (V1) activity."""
import torch
from torch import Tensor


def to_activity(images: Tensor) -> Tensor:
    """uint8 images -> low-level activity in [-1, 1] (torchvision's ToTensor then Normalize(0.5, 0.5))."""
    return images.to(torch.float32) / 127.5 - 1.0
