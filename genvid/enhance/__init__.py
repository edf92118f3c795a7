"""Streaming enhancement: windows over cached features, tiling, and the `enhance` entry point."""
from .api import enhance

__all__ = ["enhance"]
