"""`genvid ui`: a local web page to open a video, preview a model on a few frames, and queue jobs.

The logic lives in plain modules that need neither gradio nor a browser: `paths` (which files the page
may touch), `info` (what probe knows, the model cards), `preview` (before/after of a few frames),
`jobs` (the persistent queue and its runner).  `app` is the thin gradio page over them.
"""
