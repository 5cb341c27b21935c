"""DistributedDataParallel under ``torchrun`` (gloo on CPU, nccl on CUDA).

``graphbuilder train`` calls :func:`init_from_env` first: when torchrun set
``WORLD_SIZE > 1`` it joins the process group; the trainer then wraps the model in DDP,
shards batches with ``DistributedSampler``, all-reduces validation sums and lets rank 0
alone write the run directory and print.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as torch_dist
from torch import nn


@dataclass(frozen=True)
class DistInfo:
    rank: int
    world_size: int
    local_rank: int
    backend: str


def init_from_env(device: str = "auto") -> DistInfo | None:
    """Join the process group torchrun describes in the environment (no-op otherwise)."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    if not torch_dist.is_initialized():
        use_cuda = device in ("auto", "cuda") and torch.cuda.is_available()
        torch_dist.init_process_group("nccl" if use_cuda else "gloo")
    return current()


def current() -> DistInfo | None:
    """The running process group (None when not distributed)."""
    if not (torch_dist.is_available() and torch_dist.is_initialized()):
        return None
    if torch_dist.get_world_size() <= 1:
        return None
    return DistInfo(torch_dist.get_rank(), torch_dist.get_world_size(),
                    int(os.environ.get("LOCAL_RANK", torch_dist.get_rank())),
                    torch_dist.get_backend())


def device_for(info: DistInfo) -> torch.device:
    """One GPU per process under nccl, CPU under gloo."""
    if info.backend == "nccl":
        torch.cuda.set_device(info.local_rank)
        return torch.device("cuda", info.local_rank)
    return torch.device("cpu")


def wrap_ddp(model: nn.Module, device: torch.device) -> nn.Module:
    """DDP wrapper; broadcasts rank 0's weights so every rank starts identical."""
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=ids)


def all_reduce_sums(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Sum metric accumulators over ranks (one collective for all of them)."""
    if not state:
        return state
    keys = list(state)
    flat = torch.cat([state[k].reshape(-1).float() for k in keys])
    torch_dist.all_reduce(flat)
    out, i = {}, 0
    for k in keys:
        n = state[k].numel()
        out[k] = flat[i:i + n]
        i += n
    return out


def is_main() -> bool:
    info = current()
    return info is None or info.rank == 0


def cleanup(sync: bool = True) -> None:
    """Leave the process group.

    With ``sync`` every rank first meets in a barrier, so none tears down its gloo pairs
    while a peer is still writing checkpoints or in flight: a peer that vanishes under a
    live pair makes gloo abort the survivor (SIGABRT, seen on a loaded CI machine). After a
    failure the peers may sit in a different collective, so no barrier is tried then.
    """
    if not (torch_dist.is_available() and torch_dist.is_initialized()):
        return
    if sync:
        try:
            torch_dist.barrier()
        except RuntimeError:  # a peer already gone: nothing left to wait for
            pass
    torch_dist.destroy_process_group()
