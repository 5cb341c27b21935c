"""Device choice and a human-readable description of it."""

from __future__ import annotations

import torch


def select_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA, then MPS, then CPU; an explicit but missing device is an error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' requested but no CUDA GPU is available "
                           "(use device 'auto' or 'cpu')")
    if name == "mps" and not (getattr(torch.backends, "mps", None)
                              and torch.backends.mps.is_available()):
        raise RuntimeError("device 'mps' requested but MPS is not available")
    return torch.device(name)


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple MPS"
    return f"CPU ({torch.get_num_threads()} threads)"


def device_info(name: str = "auto") -> str:
    """What training would run on, e.g. ``"CUDA: NVIDIA H100"`` or ``"CPU (2 threads)"``."""
    try:
        return device_name(select_device(name))
    except RuntimeError as exc:
        return str(exc)
