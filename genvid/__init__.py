"""genvid: generative video toolkit (super-resolution, restoration, denoising, synthesis)."""
from .engine import Enhancer
from .enhance.api import enhance
from .errors import GenvidError
from .models.registry import list_models, load_model
from .synthesize import synthesize

__version__ = "0.1.0"
__all__ = ["Enhancer", "GenvidError", "enhance", "list_models", "load_model", "synthesize", "__version__"]
