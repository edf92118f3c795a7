"""Generators, discriminators and shared blocks; `from_pretrained` (alias `load_model`) for shipped and user
weights, and every architecture's own `from_pretrained` / `save_pretrained` (`pretrained.PretrainedModel`).

Names load on first use (PEP 562), so that `genvid.models.catalog` (which models exist, no torch) can be
imported on its own."""
import importlib

_LAZY = {"ARCHITECTURES": ".registry", "build_model": ".registry", "load_model": ".registry",
         "DEFAULT_MODEL": ".catalog", "list_models": ".catalog",
         "PretrainedModel": ".pretrained", "from_pretrained": ".pretrained",
         "SlidingWindowRestore": ".restore_window", "SlidingWindowSR": ".sr_window", "VideoGenerator": ".synthesis"}
__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
