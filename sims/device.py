"""Where a brain lives: the `device` key (auto, cpu, cuda, cuda:N) as a torch.device, or a one-line error."""
import torch

from records.errors import PadError


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise PadError(f"device={name}: no CUDA device on this machine (use device=cpu or device=auto)")
    try:
        return torch.device(name)
    except RuntimeError:
        raise PadError(f"device={name}: not a device (auto, cpu, cuda or cuda:N)") from None
