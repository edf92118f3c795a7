"""Generators, discriminators and shared blocks; `load_model` for shipped and user weights."""
from .registry import ARCHITECTURES, DEFAULT_MODEL, build_model, list_models, load_model
from .restore_window import SlidingWindowRestore
from .sr_window import SlidingWindowSR
from .synthesis import VideoGenerator

__all__ = ["ARCHITECTURES", "DEFAULT_MODEL", "SlidingWindowRestore", "SlidingWindowSR", "VideoGenerator", "build_model",
           "list_models", "load_model"]
