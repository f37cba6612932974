"""Where a brain lives: the `device` key (auto, cpu, cuda, cuda:N) as a torch.device, or a one-line error."""
import torch

from records.errors import PadError


def resolve_device(name: str) -> torch.device:
    """The device `name` means on this machine; PadError if it is not a device or this machine has none such."""
    device = check_device_name(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise PadError(f"device={name}: no CUDA device on this machine (use device=cpu or device=auto)")
    return device


def check_device_name(name: str) -> torch.device | None:
    """`name` checked as a device's name without asking this machine (for a run on another, e.g. a SLURM node): the
    device it names, None for auto."""
    if name == "auto":
        return None
    try:
        return torch.device(name)
    except RuntimeError:
        raise PadError(f"device={name}: not a device (auto, cpu, cuda or cuda:N)") from None
