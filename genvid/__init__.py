"""genvid: generative video toolkit (super-resolution, restoration, denoising, synthesis).

`Enhancer`, `enhance`, `synthesize`, `load_model` and `list_models` load on first use, so that `import genvid` (and
`genvid --version`) does not import torch.  `genvid.enhance` and `genvid.synthesize` are the functions,
also once their modules of the same name are imported.
"""
import importlib
import sys
import types

from .errors import GenvidError

__version__ = "0.1.0"
__all__ = ["Enhancer", "GenvidError", "enhance", "list_models", "load_model", "synthesize", "__version__"]

_LAZY = {"Enhancer": ".engine", "enhance": ".enhance.api", "synthesize": ".synthesize", "load_model": ".models.registry",
         "list_models": ".models.catalog"}


class _Package(types.ModuleType):
    def __getattribute__(self, name):
        if name in _LAZY:  # before the module's own attributes: importing genvid.enhance sets one to the package
            return getattr(importlib.import_module(_LAZY[name], __name__), name)
        return super().__getattribute__(name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(_LAZY))


sys.modules[__name__].__class__ = _Package
