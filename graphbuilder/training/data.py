"""From datasets to batches: the bundle every data source returns, and its loaders.

In-memory tensor datasets (all built-ins, CSV) are batched by indexing with a whole list
of indices at once (``BatchSampler`` + ``batch_size=None``): one gather per batch instead
of ``batch_size`` Python calls plus a collate, which matters for the small CPU models
GraphBuilder users start with. Shuffling uses a seeded ``torch.Generator`` whose state is
stored in checkpoints, so a resumed run sees the same order. Augmentation (per sample,
``torchvision.transforms.v2``) and MixUp/CutMix (per batch, ``v2.MixUp``/``v2.CutMix``)
are added here, on the training split only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    DistributedSampler,
    RandomSampler,
    SequentialSampler,
    TensorDataset,
)

from graphbuilder.training.config import RunConfig


class DataError(ValueError):
    """Missing or malformed data: says what was expected and where."""


@dataclass
class DataBundle:
    """A train/validation pair plus what the trainer and GUI need to know about it.

    ``batchable``: datasets index with a list of indices (``TensorDataset``), enabling
    whole-batch fetches. ``task``: "classification", "regression" or "segmentation".
    """

    name: str
    train: Dataset
    val: Dataset | None
    task: str
    input_shape: tuple[int, ...]
    num_classes: int | None = None
    target_shape: tuple[int, ...] = ()
    classes: list[str] = field(default_factory=list)
    batchable: bool = True
    image: bool = False  # inputs are [C, H, W] images (augmentations apply)
    suggested: dict[str, Any] = field(default_factory=dict)  # e.g. {"loss": "mse"}

    def __len__(self) -> int:
        return len(self.train)  # type: ignore[arg-type]


def tensor_split(name: str, x: torch.Tensor, y: torch.Tensor, val_fraction: float, seed: int,
                 **kwargs: Any) -> DataBundle:
    """Shuffle (seeded) and split in-memory tensors into a :class:`DataBundle`."""
    n = x.shape[0]
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed + 7919))
    n_val = int(round(n * val_fraction))
    tr, va = perm[n_val:], perm[:n_val]
    val = TensorDataset(x[va], y[va]) if n_val else None
    kwargs.setdefault("input_shape", tuple(x.shape[1:]))
    kwargs.setdefault("target_shape", tuple(y.shape[1:]))
    return DataBundle(name, TensorDataset(x[tr], y[tr]), val, **kwargs)


class Augmented(Dataset):
    """Apply a per-sample v2 transform to ``(image, target)``; masks move with the image."""

    def __init__(self, base: Dataset, transform: Callable, segmentation: bool) -> None:
        self.base, self.transform, self.segmentation = base, transform, segmentation

    def __len__(self) -> int:
        return len(self.base)  # type: ignore[arg-type]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        from torchvision import tv_tensors

        x, y = self.base[i]
        if self.segmentation:
            img, mask = self.transform(tv_tensors.Image(x), tv_tensors.Mask(y))
            return img.as_subclass(torch.Tensor), mask.as_subclass(torch.Tensor)
        return self.transform(tv_tensors.Image(x)).as_subclass(torch.Tensor), y


class Reconstruct(Dataset):
    """Targets are the inputs themselves (autoencoders): ``(x, y) -> (x, x)``."""

    def __init__(self, base: Dataset) -> None:
        self.base = base

    def __len__(self) -> int:
        return len(self.base)  # type: ignore[arg-type]

    def __getitem__(self, idx: Any) -> tuple[torch.Tensor, torch.Tensor]:
        x, _ = self.base[idx]
        return x, x


REGRESSION_LOSSES = ("mse", "mae", "smooth_l1")


def is_reconstruction(bundle: DataBundle, cfg: RunConfig) -> bool:
    """``data.task`` "reconstruction", or a regression loss on an image classification set."""
    return cfg.data.task == "reconstruction" or (
        cfg.data.task is None and cfg.loss in REGRESSION_LOSSES and bundle.image
        and bundle.task == "classification")


def make_augment(names: list[str], input_shape: tuple[int, ...]) -> Callable | None:
    """A ``v2.Compose`` of the named augmentations for [C, H, W] inputs (None if empty)."""
    if not names:
        return None
    from torchvision.transforms import v2

    size = tuple(input_shape[-2:])
    table = {
        "hflip": lambda: v2.RandomHorizontalFlip(),
        "vflip": lambda: v2.RandomVerticalFlip(),
        "crop": lambda: v2.RandomCrop(size, padding=max(1, size[0] // 8), padding_mode="reflect"),
        "color": lambda: v2.ColorJitter(0.2, 0.2, 0.2),
        "rotate": lambda: v2.RandomRotation(15),
        "noise": lambda: v2.GaussianNoise(sigma=0.05, clip=False),
    }
    return v2.Compose([table[n]() for n in names])


def make_mix(cfg: RunConfig, num_classes: int | None) -> Callable | None:
    """MixUp / CutMix (random choice of the two when both are on), applied per batch."""
    d = cfg.data
    if d.mixup_alpha <= 0 and d.cutmix_alpha <= 0:
        return None
    if not num_classes:
        from graphbuilder.training.config import ConfigError

        raise ConfigError("data.mixup_alpha", "MixUp/CutMix need a classification dataset")
    from torchvision.transforms import v2

    ops = []
    if d.mixup_alpha > 0:
        ops.append(v2.MixUp(alpha=d.mixup_alpha, num_classes=num_classes))
    if d.cutmix_alpha > 0:
        ops.append(v2.CutMix(alpha=d.cutmix_alpha, num_classes=num_classes))
    return ops[0] if len(ops) == 1 else v2.RandomChoice(ops)


@dataclass
class Loaders:
    """What the trainer iterates: train/val loaders and their bookkeeping."""

    train: Iterable
    val: Iterable | None
    num_classes: int | None = None
    train_samples: int = 0
    val_samples: int = 0
    generator: torch.Generator | None = None
    sampler: Any = None
    mix: Callable | None = None

    def set_epoch(self, epoch: int) -> None:
        if isinstance(self.sampler, DistributedSampler):
            self.sampler.set_epoch(epoch)

    @classmethod
    def from_pair(cls, train: Iterable, val: Iterable | None = None) -> Loaders:
        """Wrap user-made loaders (any re-iterable of ``(x, y)`` batches with a length)."""
        n_tr = len(getattr(train, "dataset", ()) or ())
        n_va = len(getattr(val, "dataset", ()) or ()) if val is not None else 0
        return cls(train, val, train_samples=n_tr, val_samples=n_va)


def make_loaders(bundle: DataBundle, cfg: RunConfig, dist: Any = None,
                 pin_memory: bool = False) -> Loaders:
    """Loaders for ``bundle`` as ``cfg.data`` says (``dist``: a DistInfo under DDP;
    ``pin_memory`` when batches go to a CUDA device, for non-blocking copies)."""
    d = cfg.data
    bs = d.batch_size
    train = bundle.train
    augment = make_augment(d.augment, bundle.input_shape) if bundle.image else None
    if d.augment and not bundle.image:
        from graphbuilder.training.config import ConfigError

        raise ConfigError("data.augment", f"augmentations apply to images; '{bundle.name}' "
                                          "is not an image dataset")
    if augment is not None:
        train = Augmented(train, augment, bundle.task == "segmentation")
    val_set = bundle.val
    recon = is_reconstruction(bundle, cfg)
    if recon:
        train = Reconstruct(train)
        val_set = Reconstruct(val_set) if val_set is not None else None
    batchable = bundle.batchable and augment is None
    g = torch.Generator().manual_seed(cfg.seed)
    n = len(train)  # type: ignore[arg-type]
    if n == 0:
        raise DataError(f"dataset '{bundle.name}' has no training samples")
    # a lone last sample breaks BatchNorm in training mode: drop it only then
    drop_last = n % bs == 1 and n > 1
    if dist is not None:
        sampler: Any = DistributedSampler(train, num_replicas=dist.world_size, rank=dist.rank,
                                          shuffle=True, seed=cfg.seed, drop_last=True)
        drop_last = True
    else:
        sampler = RandomSampler(train, generator=g)
    workers = d.num_workers
    common: dict[str, Any] = {"num_workers": workers, "pin_memory": pin_memory}
    if workers:
        common["persistent_workers"] = True
    if batchable:
        tl = DataLoader(train, batch_size=None, sampler=BatchSampler(sampler, bs, drop_last),
                        generator=g, **common)
    else:
        tl = DataLoader(train, batch_size=bs, sampler=sampler, drop_last=drop_last, generator=g,
                        **common)
    vl = None
    n_val = 0
    if val_set is not None and len(val_set) > 0:  # type: ignore[arg-type]
        val = val_set
        n_val = len(val)  # type: ignore[arg-type]
        vs: Any = (DistributedSampler(val, dist.world_size, dist.rank, shuffle=False)
                   if dist is not None else SequentialSampler(val))
        if bundle.batchable:
            vl = DataLoader(val, batch_size=None, sampler=BatchSampler(vs, bs, False), **common)
        else:
            vl = DataLoader(val, batch_size=bs, sampler=vs, **common)
    mix = make_mix(cfg, bundle.num_classes if bundle.task == "classification" and not recon
                   else None)
    return Loaders(tl, vl, None if recon else bundle.num_classes, n, n_val, g, sampler, mix)
