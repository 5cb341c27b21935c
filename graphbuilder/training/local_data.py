"""The user's own data: ``imagefolder:PATH``, ``csv:PATH``, and the classic torchvision
sets read from a local folder (``cifar10:``, ``cifar100:``, ``mnist:``, ``fashion_mnist:``).

Nothing is ever downloaded (``download=False``): a missing or malformed path raises
:class:`DataError` saying what was expected there, which the GUI and CLI show as is.
Images are fitted to the model's input (channels and size) so a 1x28x28 MNIST can feed a
3x32x32 design without editing it.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset, Subset

from graphbuilder.training.config import DataConfig
from graphbuilder.training.data import DataBundle, DataError, tensor_split

TORCHVISION_SETS = {
    "cifar10": ("CIFAR10", "the extracted 'cifar-10-batches-py' folder"),
    "cifar100": ("CIFAR100", "the extracted 'cifar-100-python' folder"),
    "mnist": ("MNIST", "MNIST/raw/ with the idx files (train-images-idx3-ubyte ...)"),
    "fashion_mnist": ("FashionMNIST", "FashionMNIST/raw/ with the idx files"),
}


def load_local(cfg: DataConfig, seed: int, input_shape: tuple[int, ...] | None) -> DataBundle:
    kind, _, raw = cfg.dataset.partition(":")
    kind = kind.strip().lower()
    path = Path(raw.strip()).expanduser()
    if not raw.strip() or raw.strip() == "PATH":
        raise DataError(f"data.dataset: '{kind}:' needs the path of your data after the colon "
                        f"(e.g. --data /my/images, or data.dataset '{kind}:/my/images')")
    if kind == "csv":
        return load_csv(path, cfg, seed)
    if kind == "imagefolder":
        return load_image_folder(path, cfg, seed, input_shape)
    if kind in TORCHVISION_SETS:
        return load_torchvision(kind, path, input_shape)
    raise DataError(f"data.dataset: unknown source '{kind}:'; expected imagefolder:, csv:, "
                    + ", ".join(f"{k}:" for k in TORCHVISION_SETS))


# -- CSV ---------------------------------------------------------------------------------
def _float(v: str) -> float | None:
    try:
        return float(v)
    except ValueError:
        return None


def load_csv(path: Path, cfg: DataConfig, seed: int) -> DataBundle:
    """A table with a header row; numeric feature columns and one target column."""
    if not path.is_file():
        raise DataError(f"csv: file not found: {path} (expected a CSV file with a header row)")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    if len(rows) < 2:
        raise DataError(f"csv: {path} needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    target = cfg.target_column or header[-1]
    if target not in header:
        raise DataError(f"csv: {path} has no column '{target}' (columns: {', '.join(header)})")
    t_idx = header.index(target)
    feats, targets = [], []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError(f"csv: {path} line {line} has {len(row)} fields, the header has "
                            f"{len(header)}")
        values = []
        for j, cell in enumerate(row):
            if j == t_idx:
                continue
            v = _float(cell.strip())
            if v is None:
                raise DataError(f"csv: {path} line {line}, column '{header[j]}': "
                                f"expected a number, got {cell!r}")
            values.append(v)
        feats.append(values)
        targets.append(row[t_idx].strip())
    numeric = [_float(t) for t in targets]
    task = cfg.task
    if task is None:
        ints = all(v is not None and v == int(v) for v in numeric)
        task = "classification" if (not all(v is not None for v in numeric)
                                    or (ints and len(set(targets)) <= 20)) else "regression"
    x = torch.tensor(feats, dtype=torch.float32)
    classes: list[str] = []
    if task == "regression":
        if any(v is None for v in numeric):
            bad = targets[[v is None for v in numeric].index(True)]
            raise DataError(f"csv: target column '{target}' must be numeric for regression "
                            f"(found {bad!r})")
        y = torch.tensor(numeric, dtype=torch.float32).unsqueeze(1)
        num_classes = None
        suggested = {"loss": "mse", "metrics": ["mae"]}
    elif task == "classification":
        classes = sorted(set(targets), key=lambda s: (_float(s) is None, _float(s) or 0, s))
        index = {c: i for i, c in enumerate(classes)}
        y = torch.tensor([index[t] for t in targets])
        num_classes = len(classes)
        suggested = {"loss": "cross_entropy", "metrics": ["accuracy"]}
    else:
        raise DataError(f"data.task: '{task}' is not supported for CSV (classification or "
                        "regression)")
    return tensor_split(f"csv:{path.name}", x, y, cfg.val_fraction, seed, task=task,
                        num_classes=num_classes, classes=classes, suggested=suggested)


# -- images --------------------------------------------------------------------------------
def _fit(x: torch.Tensor, shape: tuple[int, ...] | None) -> torch.Tensor:
    """Batch [N, C, H, W] float -> the model's (C, H, W): channel repeat/mean, bilinear."""
    if not shape or len(shape) != 3:
        return x
    c, h, w = shape
    if x.shape[1] != c:
        x = x.mean(1, keepdim=True) if c == 1 else x[:, :1].expand(-1, c, -1, -1)
        if c not in (1, 3) and x.shape[1] != c:
            raise DataError(f"cannot fit {x.shape[1]}-channel images to {c} channels")
    if tuple(x.shape[-2:]) != (h, w):
        x = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False, antialias=True)
    return x.contiguous()


class UInt8Images(Dataset):
    """uint8 images kept compact in memory; list indexing returns a float batch in [0, 1]."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor,
                 shape: tuple[int, ...] | None) -> None:
        self.images, self.labels, self.shape = images, labels, shape

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, idx: Any) -> tuple[torch.Tensor, torch.Tensor]:
        single = isinstance(idx, int)
        ids = [idx] if single else idx
        x = _fit(self.images[ids].float().div_(255), self.shape)
        y = self.labels[ids]
        return (x[0], y[0]) if single else (x, y)


def load_torchvision(kind: str, root: Path, input_shape: tuple[int, ...] | None) -> DataBundle:
    """CIFAR-10/100, MNIST, Fashion-MNIST from ``root`` (train split / test split as val)."""
    import torchvision.datasets as tvd

    cls_name, expected = TORCHVISION_SETS[kind]
    if not root.is_dir():
        raise DataError(f"{kind}: folder not found: {root} (expected a folder containing "
                        f"{expected}; nothing is downloaded)")
    cls = getattr(tvd, cls_name)
    try:
        parts = [cls(str(root), train=t, download=False) for t in (True, False)]
    except (RuntimeError, OSError, ValueError) as exc:
        raise DataError(f"{kind}: could not read {root}: expected {expected} ({exc})") from None
    out = []
    for ds in parts:
        data = torch.as_tensor(ds.data)
        imgs = data.unsqueeze(1) if data.ndim == 3 else data.permute(0, 3, 1, 2)
        out.append(UInt8Images(imgs.contiguous(), torch.as_tensor(ds.targets), input_shape))
    native = tuple(out[0].images.shape[1:])
    return DataBundle(kind, out[0], out[1], "classification",
                      tuple(input_shape) if input_shape and len(input_shape) == 3 else native,
                      num_classes=len(parts[0].classes), classes=list(parts[0].classes),
                      image=True)


def load_image_folder(root: Path, cfg: DataConfig, seed: int,
                      input_shape: tuple[int, ...] | None) -> DataBundle:
    """One sub-folder per class; ``train/`` + ``val/`` sub-folders are used when present."""
    from torchvision import datasets
    from torchvision.transforms import v2

    if not root.is_dir():
        raise DataError(f"imagefolder: folder not found: {root} (expected one sub-folder of "
                        "images per class, e.g. ROOT/cat/1.jpg, ROOT/dog/2.png)")
    shape = tuple(input_shape) if input_shape and len(input_shape) == 3 else None
    size = cfg.image_size or (shape[1] if shape else 32)
    channels = shape[0] if shape else 3
    steps: list[Any] = [v2.ToImage()]
    if channels == 1:
        steps.append(v2.Grayscale(1))
    steps += [v2.Resize((size, size), antialias=True), v2.ToDtype(torch.float32, scale=True)]
    transform = v2.Compose(steps)

    def folder(p: Path) -> Any:
        try:
            return datasets.ImageFolder(str(p), transform=transform)
        except (FileNotFoundError, RuntimeError) as exc:
            raise DataError(f"imagefolder: {p}: expected one sub-folder of images per class "
                            f"({exc})") from None

    if (root / "train").is_dir() and (root / "val").is_dir():
        train, val = folder(root / "train"), folder(root / "val")
        classes = train.classes
    else:
        full = folder(root)
        classes = full.classes
        n = len(full)
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed + 7919)).tolist()
        n_val = int(round(n * cfg.val_fraction))
        train, val = Subset(full, perm[n_val:]), (Subset(full, perm[:n_val]) if n_val else None)
    return DataBundle(f"imagefolder:{root.name}", train, val, "classification",
                      (channels, size, size), num_classes=len(classes), classes=list(classes),
                      batchable=False, image=True)
