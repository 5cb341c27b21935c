"""Losses and metrics, accumulated on the device and read once per epoch.

Metrics keep running sums as tensors (no ``.item()`` per batch), so a validation pass
costs one device sync at the end. Soft targets (MixUp/CutMix) count as their argmax.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from graphbuilder.training.config import RunConfig


def make_loss(cfg: RunConfig) -> nn.Module:
    """The configured loss as an ``nn.Module``."""
    if cfg.loss == "cross_entropy":
        return nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
    if cfg.loss == "mse":
        return nn.MSELoss()
    if cfg.loss == "mae":
        return nn.L1Loss()
    if cfg.loss == "smooth_l1":
        return nn.SmoothL1Loss()
    if cfg.loss == "bce_with_logits":
        return nn.BCEWithLogitsLoss()
    raise ValueError(f"loss: unknown loss {cfg.loss!r}")


def _hard(target: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    """Class indices from ``target`` (soft/one-hot targets have the output's shape)."""
    if target.is_floating_point() and target.shape == output.shape:
        return target.argmax(1)
    return target


class MetricTracker:
    """Running sums for the loss and each metric of one pass (train or validation).

    ``update(output, target, loss)`` per batch; ``compute()`` -> ``{name: float}``.
    """

    def __init__(self, names: list[str], num_classes: int | None = None) -> None:
        self.names = list(names)
        self.num_classes = num_classes
        self.reset()

    def reset(self) -> None:
        self.sums: dict[str, torch.Tensor] = {}
        self.counts: dict[str, float] = {}
        self.inter: torch.Tensor | None = None
        self.union: torch.Tensor | None = None

    def _add(self, name: str, value: torch.Tensor, count: float) -> None:
        value = value.detach().float()
        self.sums[name] = self.sums[name] + value if name in self.sums else value
        self.counts[name] = self.counts.get(name, 0.0) + count

    @torch.no_grad()
    def update(self, output: torch.Tensor, target: torch.Tensor,
               loss: torch.Tensor | None = None) -> None:
        n = output.shape[0]
        if loss is not None:
            self._add("loss", loss * n, n)
        for name in self.names:
            if name == "accuracy" or name in ("top3", "top5"):
                k = 1 if name == "accuracy" else int(name[3:])
                hard = _hard(target, output)
                if output.ndim == 2:
                    k = min(k, output.shape[1])
                    top = output.topk(k, dim=1).indices
                    correct = (top == hard.unsqueeze(1)).any(1).sum()
                    self._add(name, correct, n)
                else:  # per-pixel accuracy for segmentation outputs [N, C, H, W]
                    correct = (output.argmax(1) == hard).sum()
                    self._add(name, correct, hard.numel())
            elif name == "mse":
                self._add(name, F.mse_loss(output.float(), target.float(), reduction="sum"),
                          target.numel())
            elif name == "mae":
                self._add(name, F.l1_loss(output.float(), target.float(), reduction="sum"),
                          target.numel())
            elif name == "iou":
                self._update_iou(output, _hard(target, output))

    def _update_iou(self, output: torch.Tensor, target: torch.Tensor) -> None:
        # scatter_add instead of bincount / boolean indexing: no device sync per batch
        c = output.shape[1]
        pred = output.argmax(1).reshape(-1)
        tgt = target.reshape(-1).long().clamp(0, c - 1)
        zeros = torch.zeros(c, device=output.device)
        both = zeros.scatter_add(0, tgt, (pred == tgt).float())
        area_p = zeros.scatter_add(0, pred, torch.ones_like(pred, dtype=torch.float32))
        area_t = zeros.scatter_add(0, tgt, torch.ones_like(tgt, dtype=torch.float32))
        union = area_p + area_t - both
        self.inter = both if self.inter is None else self.inter + both
        self.union = union if self.union is None else self.union + union

    def state(self) -> dict[str, torch.Tensor]:
        """Sums as one flat tensor per key (all-reduced across ranks in DDP)."""
        out = {k: v.reshape(1) for k, v in self.sums.items()}
        out.update({"#" + k: torch.tensor([v], device=_dev(self.sums)) for k, v in
                    self.counts.items()})
        if self.inter is not None:
            out["@inter"], out["@union"] = self.inter.float(), self.union.float()
        return out

    def compute(self, prefix: str = "", reduced: dict[str, torch.Tensor] | None = None
                ) -> dict[str, float]:
        st = reduced if reduced is not None else self.state()
        if not st:
            return {}
        keys = [k for k in st if not k.startswith(("#", "@"))]
        flat = torch.cat([st[k].reshape(-1).float().cpu() for k in st])  # one sync
        vals, i = {}, 0
        for k in st:
            size = st[k].numel()
            vals[k] = flat[i:i + size]
            i += size
        out = {prefix + k: float(vals[k][0] / max(float(vals["#" + k][0]), 1.0)) for k in keys}
        if "@inter" in vals:
            inter, union = vals["@inter"], vals["@union"]
            present = union > 0
            out[prefix + "iou"] = float((inter[present] / union[present]).mean()) if present.any() \
                else 0.0
        return out


def _dev(sums: dict[str, torch.Tensor]) -> torch.device:
    for v in sums.values():
        return v.device
    return torch.device("cpu")
