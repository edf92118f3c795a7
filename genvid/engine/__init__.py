"""The inference engine: models streamed over frames of any length (sliding windows, recurrent state,
bidirectional chunks), tiling, scene cuts and chains, behind `Enhancer`.  File jobs are `genvid.enhance`."""
from .chain import model_chain
from .contract import KINDS, BidirectionalModel, RecurrentModel, SlidingWindowModel, check_model
from .device import pick_device, pick_precision
from .enhancer import Enhancer

__all__ = ["KINDS", "BidirectionalModel", "Enhancer", "RecurrentModel", "SlidingWindowModel", "check_model",
           "model_chain", "pick_device", "pick_precision"]
