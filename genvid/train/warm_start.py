"""Warm starts: a network begins from a trained one (`model.init_from`) or from parts of trained ones
(`model.init_partial`, `model.init_flow`).

`init_partial` copies every tensor of another genvid model whose name and shape match (a recurrent model
from the sliding-window sr-x4, say) and says which were copied and which were not; `init_flow` fills a
model's `spynet` from a checkpoint that holds SpyNet under `spynet.*` (BasicVSR's official one).
"""
from __future__ import annotations

from torch import nn

from ..errors import GenvidError
from ..models.registry import load_model
from ..models.spynet import load_spynet_weights


def copy_matching(model: nn.Module, source: dict) -> tuple[list[str], list[str]]:
    """Copies `source` tensors into `model` where name and shape match -> (copied names, model names left)."""
    own = model.state_dict()
    copied = [k for k, v in source.items() if k in own and own[k].shape == v.shape]
    model.load_state_dict({k: source[k] for k in copied}, strict=False)
    return copied, [k for k in own if k not in copied]


def warm_start(model: nn.Module, config, log=print) -> None:
    if config.init_partial:
        copied, left = copy_matching(model, load_model(config.init_partial).state_dict())
        if not copied:
            raise GenvidError(f"model.init_partial {config.init_partial} shares no tensor (same name and shape) "
                              f"with {type(model).__name__}")
        log(f"init_partial {config.init_partial}: copied {len(copied)} tensors; "
            f"{len(left)} left as initialised ({', '.join(sorted({k.split('.')[0] for k in left}))})")
    if config.init_flow:
        if not isinstance(getattr(model, "spynet", None), nn.Module):
            raise GenvidError(f"model.init_flow is set but {type(model).__name__} has no `spynet` flow network")
        load_spynet_weights(model.spynet, config.init_flow)
        log(f"init_flow {config.init_flow}: SpyNet loaded")


def initialise(model: nn.Module, config, log=print) -> None:
    """`config.init_from` (every weight of a model of the same design), then the warm starts."""
    if config.init_from:
        model.load_state_dict(load_model(config.init_from).state_dict())
    warm_start(model, config, log)
