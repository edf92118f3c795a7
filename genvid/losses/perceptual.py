"""LPIPS (Zhang et al. 2018) from the `lpips` package, loaded offline: a metric and a training loss.

LPIPS has two parts.  Its linear heads, calibrated on human judgements, ship inside the `lpips` pip
package.  Its backbone is an ImageNet classifier (AlexNet, VGG16 or SqueezeNet 1.1) whose weights
torchvision would download on first use.  genvid never downloads: the backbone file is taken from an
explicit path (the `backbone_path` argument, else `$GENVID_LPIPS_BACKBONE`), else from torch hub's
checkpoint folder (`torch.hub.get_dir()/checkpoints`, which honours `$TORCH_HOME`) under torchvision's
own file name (e.g. `alexnet-owt-7be5be79.pth`).  When there is none, a GenvidError names the file,
the folder and the variable.  The file is read with `torch.load(weights_only=True)` (tensors only).

    loss = LPIPSLoss("alex")            # images in [0, 1], (B, C, H, W) or (B, T, C, H, W)
    d = loss(pred, target)              # mean LPIPS distance, differentiable in `pred`
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import torch
from einops import rearrange
from torch import nn

from ..errors import GenvidError

ENV_VAR = "GENVID_LPIPS_BACKBONE"
NETS = ("alex", "vgg", "squeeze")


def _weights_enum(net: str):
    from torchvision.models import AlexNet_Weights, SqueezeNet1_1_Weights, VGG16_Weights

    if net not in NETS:
        raise GenvidError(f"unknown LPIPS backbone '{net}'; use one of {', '.join(NETS)}")
    return {"alex": AlexNet_Weights, "vgg": VGG16_Weights, "squeeze": SqueezeNet1_1_Weights}[net].IMAGENET1K_V1


def backbone_file_name(net: str) -> str:
    """torchvision's file name for the ImageNet weights of `net`, e.g. 'alexnet-owt-7be5be79.pth'."""
    return _weights_enum(net).url.rsplit("/", 1)[-1]


def hub_checkpoint_dir() -> Path:
    """Where torchvision keeps downloaded weights: torch.hub.get_dir()/checkpoints ($TORCH_HOME/hub/...)."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def find_backbone(net: str = "alex", backbone_path: str | Path | None = None) -> Path:
    """The backbone weights file to use, or a GenvidError (one line) saying what is missing and where."""
    explicit = backbone_path or os.environ.get(ENV_VAR) or None
    if explicit:
        p = Path(explicit)
        if not p.is_file():
            source = "backbone_path" if backbone_path else f"${ENV_VAR}"
            raise GenvidError(f"LPIPS backbone file not found: {p} (from {source})")
        return p
    name = backbone_file_name(net)
    p = hub_checkpoint_dir() / name
    if not p.is_file():
        raise GenvidError(f"LPIPS needs the torchvision ImageNet weights of its '{net}' backbone: put {name} in "
                          f"{hub_checkpoint_dir()} or set {ENV_VAR} to the file's path (genvid never downloads)")
    return p


def lpips_available(net: str = "alex", backbone_path: str | Path | None = None) -> str | None:
    """None when LPIPS with `net` can be loaded here, else the one-line reason (nothing is loaded)."""
    try:
        find_backbone(net, backbone_path)
    except GenvidError as e:
        return str(e)
    return None


def _backbone_state(net: str, path: Path) -> dict[str, torch.Tensor]:
    from ..models.third_party import load_plain

    obj = load_plain(path, f"torchvision's ImageNet weights of {net} for the LPIPS backbone")
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise GenvidError(f"{path} is not a torchvision state dict")
    return obj


@torch.no_grad()
def load_lpips(net: str = "alex", backbone_path: str | Path | None = None) -> nn.Module:
    """The `lpips.LPIPS` module (v0.1 linear heads) with the backbone read from a local file; frozen, eval.

    Its forward takes two images in [-1, 1]; `LPIPSLoss` wraps it for [0, 1] inputs and videos.
    """
    import lpips

    path = find_backbone(net, backbone_path)
    state = _backbone_state(net, path)
    with warnings.catch_warnings():  # lpips passes the deprecated `pretrained=False` to torchvision
        warnings.simplefilter("ignore", UserWarning)
        # pnet_rand: the backbone is built empty (no download); the linear heads load from the package
        model = lpips.LPIPS(net=net, pretrained=True, pnet_rand=True, verbose=False)
    # lpips keeps torchvision's `features.<i>` layers as `slice<k>.<i>`: map the file's keys onto them
    wanted = model.net.state_dict()
    mapped = {}
    for key in wanted:
        source = "features." + key.split(".", 1)[1]
        if source not in state or state[source].shape != wanted[key].shape:
            raise GenvidError(f"{path} does not hold torchvision {net} weights ({source} missing or mis-shaped)")
        mapped[key] = state[source]
    model.net.load_state_dict(mapped, strict=True)
    for p in model.parameters():
        p.requires_grad_(False)
    return model.eval()


class LPIPSLoss(nn.Module):
    """Mean LPIPS distance between images in [0, 1]: (B, C, H, W) or (B, T, C, H, W) (frames scored apart).

    Frozen; gradients flow to the inputs, so it serves as a training loss.  `reduction="none"` returns one
    distance per image, shaped (B,) or (B, T).
    """

    def __init__(self, net: str = "alex", backbone_path: str | Path | None = None, reduction: str = "mean"):
        super().__init__()
        if reduction not in ("mean", "none"):
            raise GenvidError(f"reduction must be 'mean' or 'none', got '{reduction}'")
        self.lpips = load_lpips(net, backbone_path)
        self.reduction = reduction

    def train(self, mode: bool = True):  # the network stays in eval mode (no dropout) whatever the caller does
        super().train(mode)
        self.lpips.eval()
        return self

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if pred.shape != target.shape:
            raise ValueError(f"LPIPS inputs differ in shape: {tuple(pred.shape)} and {tuple(target.shape)}")
        video = pred.ndim == 5
        if video:
            b = pred.shape[0]
            pred, target = (rearrange(x, "b t c h w -> (b t) c h w") for x in (pred, target))
        d = self.lpips(pred * 2 - 1, target * 2 - 1)  # lpips wants [-1, 1]
        d = rearrange(d, "n 1 1 1 -> n")
        if video:
            d = rearrange(d, "(b t) -> b t", b=b)
        return d.mean() if self.reduction == "mean" else d
