"""File jobs: `genvid.enhance(input, output)` (decode, the engine, resumable segments, join and mux) and batches."""
from .api import enhance

__all__ = ["enhance"]
