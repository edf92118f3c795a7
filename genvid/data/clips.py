"""Training clips from frame folders and video files, with random temporal and spatial crops.

A source path may be a video file, a folder of frames (one clip), or a folder of such folders
(Vimeo-90K's septuplets, DAVIS).  Clips are decoded once and kept as uint8; long videos are capped at
`max_frames` frames each.  By default each process holds every decoded clip in its memory (DataLoader
workers share it with their process, copy-on-write): N training processes hold N copies.  With a
`cache_dir` every clip is decoded once into an .npy file there and memory-mapped read-only, so all
processes and workers on a machine share one copy in the page cache, read lazily as crops touch it.

Samples are uint8 (the trainer makes them float on its device: a quarter of the bytes to copy).
Sample `i` is a pure function of (seed, i): a resumed run sees exactly the data it would have seen.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import torch
from einops import rearrange
from torch.utils.data import Dataset, Sampler

from ..errors import GenvidError
from ..io.image_folder import list_frames, read_image
from .degrade_noise import exact_gaussian_sigma


def find_clips(source: str | Path) -> list[Path]:
    """Every clip under a source: the video file, the frame folder, or its frame-folder children."""
    source = Path(source)
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise GenvidError(f"training data not found: {source}; set data paths in the recipe or with --set")
    if list_frames(source):
        return [source]
    clips = [d for d in sorted(source.iterdir()) if d.is_dir() and list_frames(d)]
    clips += [f for f in sorted(source.iterdir()) if f.is_file() and not f.name.startswith(".")]
    if not clips:
        raise GenvidError(f"no clips under {source}: expected frame folders or video files")
    return clips


def load_clip(path: Path, max_frames: int, video_downscale: int = 1) -> np.ndarray:
    """(T, H, W, 3) uint8; frames of a video file shrunk `video_downscale` times (PIL bicubic, antialiased)."""
    if path.is_dir():
        frames = [read_image(p) for p in list_frames(path)[:max_frames]]
    else:
        from ..io.decode import read_frames

        frames = read_frames(path, max_frames=max_frames)
    frames = [f if f.dtype == np.uint8 else (f >> 8).astype(np.uint8) for f in frames]
    if video_downscale > 1 and not path.is_dir():
        from PIL import Image

        size = (frames[0].shape[1] // video_downscale, frames[0].shape[0] // video_downscale)
        frames = [np.asarray(Image.fromarray(f).resize(size, Image.BICUBIC)) for f in frames]
    return np.stack(frames)


def cached_clip(path: Path, max_frames: int, video_downscale: int, cache_dir: str | Path) -> np.ndarray:
    """`load_clip`'s array, decoded once into `cache_dir` (keyed by the path, its modification time and the
    options) and memory-mapped read-only.  Processes filling the cache at once write whole files only
    (a temporary name, then a rename), so any of them may decode a clip first."""
    path = Path(path)
    key = f"{path.resolve()}|{path.stat().st_mtime_ns}|{max_frames}|{video_downscale}"
    file = Path(cache_dir) / f"{path.name}-{hashlib.sha1(key.encode()).hexdigest()[:16]}.npy"
    if not file.exists():
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_name(f"{file.stem}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            np.save(f, load_clip(path, max_frames, video_downscale))
        os.replace(tmp, file)
    return np.load(file, mmap_mode="r")


def load_clips(sources: list[str], max_frames: int, video_downscale: int = 1, cache_dir: str | Path | None = None,
               part: tuple[int, int] = (0, 1)) -> list[np.ndarray]:
    """Every clip under `sources`, in order; with a `cache_dir`, memory-mapped from there.  Process `part[0]`
    of `part[1]` decodes what the cache lacks starting at its part of the list, wrapping around, so that the
    processes of a run fill a new cache together."""
    paths = [p for s in sources for p in find_clips(s)]
    if cache_dir is None:
        return [load_clip(p, max_frames, video_downscale) for p in paths]
    clips, first = [None] * len(paths), len(paths) * part[0] // part[1]
    for k in [(first + i) % len(paths) for i in range(len(paths))]:
        clips[k] = cached_clip(paths[k], max_frames, video_downscale, cache_dir)
    return clips


class ClipDataset(Dataset):
    """Random crops of `clip_frames` frames and `patch` HR pixels, degraded to (LR, HR) tensor pairs.

    Clips shorter than `clip_frames` are extended by reflection in time (1 2 3 2 1), which is a valid
    motion played back.  Returns lr (T, 3, p/s, p/s) and hr (T, 3, p, p), uint8.  With
    `known_sigma_prob` (denoisers, scale 1) a third item: with that chance, the std of the Gaussian noise
    the clip's degradation added when that was all it did (`degrade_noise.exact_gaussian_sigma`); NaN
    otherwise, when the noise-level input is to be the blind estimate.  `cache_dir`, `part`: see `load_clips`.
    """

    def __init__(self, sources: list[str], degradation, scale: int, clip_frames: int, patch: int,
                 seed: int = 0, max_frames: int = 300, flips: bool = True, known_sigma_prob: float | None = None,
                 video_downscale: int = 1, cache_dir: str | Path | None = None, part: tuple[int, int] = (0, 1)):
        if patch % scale:
            raise GenvidError(f"patch {patch} must be a multiple of the scale {scale}")
        self.clips = load_clips(sources, max_frames, video_downscale, cache_dir, part)
        self.degradation, self.scale = degradation, scale
        self.clip_frames, self.patch, self.seed, self.flips = clip_frames, patch, seed, flips
        if known_sigma_prob is not None and scale != 1:
            raise GenvidError(f"a known noise level needs a scale-1 degradation, not scale {scale}")
        self.known_sigma_prob = known_sigma_prob
        for c, s in ((c, s) for c in self.clips for s in c.shape[1:3]):
            if s < patch:
                raise GenvidError(f"a clip of size {c.shape[2]}x{c.shape[1]} is smaller than the patch {patch}")

    def __len__(self) -> int:
        return 2**62  # sampled by index forever; see StepSampler

    def _frames(self, clip: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n, t = len(clip), self.clip_frames
        order = list(range(n)) + list(range(n - 2, 0, -1)) if n > 1 else [0]
        while len(order) < t:
            order += order
        start = int(rng.integers(0, len(order) - t + 1)) if n < t else int(rng.integers(0, n - t + 1))
        return clip[order[start:start + t]]

    def __getitem__(self, index: int):
        rng = np.random.default_rng([self.seed, index])
        clip = self.clips[int(rng.integers(len(self.clips)))]
        frames = self._frames(clip, rng)
        h, w = frames.shape[1:3]
        y = int(rng.integers(0, h - self.patch + 1))
        x = int(rng.integers(0, w - self.patch + 1))
        frames = frames[:, y:y + self.patch, x:x + self.patch]
        if self.flips:
            if rng.random() < 0.5:
                frames = frames[:, :, ::-1]
            if rng.random() < 0.5:
                frames = frames[:, ::-1]
            if rng.random() < 0.5:
                frames = frames[::-1]
        hr = [np.ascontiguousarray(f) for f in frames]
        params = self.degradation.sample(rng)  # sample then apply: the same draws as degradation(hr, rng)
        lr, hr = to_chw(np.stack(self.degradation.apply(hr, params))), to_chw(np.stack(hr))
        if self.known_sigma_prob is None:
            return lr, hr
        sigma = exact_gaussian_sigma(params) if rng.random() < self.known_sigma_prob else None
        return lr, hr, torch.tensor(float("nan") if sigma is None else sigma)


def to_tensor(frames: np.ndarray) -> torch.Tensor:
    """(T, H, W, 3) uint8 -> (T, 3, H, W) float in [0, 1]."""
    return to_chw(frames).float() / 255.0


def to_chw(frames: np.ndarray) -> torch.Tensor:
    """(T, H, W, 3) uint8 -> (T, 3, H, W) uint8 (contiguous)."""
    return rearrange(torch.from_numpy(np.ascontiguousarray(frames)), "t h w c -> t c h w").contiguous()


class StepSampler(Sampler):
    """Batches of sample indices for steps start, start+1, ...: step s on process r of n draws
    indices (s * n + r) * batch + k, so data order depends only on the step, also after a resume."""

    def __init__(self, batch_size: int, start_step: int = 0, rank: int = 0, world: int = 1,
                 max_steps: int | None = None):
        self.batch_size, self.start, self.rank, self.world = batch_size, start_step, rank, world
        self.max_steps = max_steps

    def __iter__(self):
        step = self.start
        while self.max_steps is None or step < self.max_steps:
            base = (step * self.world + self.rank) * self.batch_size
            yield list(range(base, base + self.batch_size))
            step += 1

    def __len__(self) -> int:
        return max(0, (self.max_steps or 2**31) - self.start)
