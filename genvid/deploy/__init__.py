"""Deployment: genvid's enhancement models written in formats other runtimes read (ONNX: `onnx_export.py`)."""
