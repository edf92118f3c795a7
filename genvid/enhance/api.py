"""`genvid.enhance(input, output, ...)`: decode -> model(s) -> segments -> join and mux; streamed and resumable.

The output is written as segments in a hidden work folder beside it (`workdir`, `segments`), joined
losslessly and renamed into place only when complete, so a reader never sees a partial output and a run
killed at any point continues with `resume=True` from its last finished segment.  A resumed run decodes
the source from its first frame again (decoding is cheap next to the model, and frame-exact where
seeking is not) but runs the model only on the `radius` frames of context before the first unfinished
segment and on what follows (a recurrent model from the state kept at that segment's start, `states`):
its frames are those the uninterrupted run would have made.
A chain of models ("denoise,sr-x4") runs in the same decode and encode (`chain`).
"""
from __future__ import annotations

import os
import sys
import time
from fractions import Fraction
from pathlib import Path

from tqdm import tqdm

from ..engine import Enhancer, model_chain
from ..engine.retile import OUT_OF_MEMORY
from ..engine.tiling import check_tiles
from ..engine.device import check_batch, pick_device, pick_precision
from ..engine.scenes import DEFAULT_THRESHOLD
from ..errors import GenvidError
from ..io.damage import DamagedSource, Timeline, find_damage
from ..io.decode import FrameReader
from ..io.encode import (DEFAULT_CODEC, DEFAULT_CRF, check_quality, colour_tag_args, colour_tags, is_high_depth,
                         output_pix_fmt)
from ..io.hdr import check_output_depth, hdr_encoder_args, warn
from ..io.mux import StreamPlan, plan_streams, remux
from ..io.probe import VideoInfo, probe
from ..models.registry import DEFAULT_MODEL, resolve, sha256_of
from .grey import GreyFrames
from .outputs import (check_output_path, frame_file_name, install_frames, is_folder_output, make_parents,
                      output_path, remove_made, write_marker)
from .segments import OutputSpec, SegmentWriter, check_output, concat_list, default_segment_frames
from .states import load_state, state_keeper
from .tiles import resume_tile, retry_smaller
from .workdir import WorkFolder, fsync_file, fsync_folder


def enhance(input, output, model: str = DEFAULT_MODEL, *, device: str = "auto", precision: str = "auto",
            batch: int | str = "auto", compile: bool = False, tile: int = 0, tile_overlap: int | None = None, codec: str | None = None, crf: int | None = None,
            pix_fmt: str | None = None, fps: str | None = None, sigma: float | None = None, strength: float = 1.0,
            overwrite: bool = False, resume: bool = False, segment_frames: int | None = None, scene_cuts: bool = True,
            scene_threshold: float = DEFAULT_THRESHOLD, accept_damaged: bool = False, subtitles: bool = True,
            quiet: bool = False, progress=None, preset: str | None = None) -> dict:
    """Enhances a video file or frame folder into `output` (a video file, or a folder of PNGs).

    Missing folders above `output` are created; `overwrite` replaces a file, or in a folder only the frames
    genvid wrote there, and never the input or a folder holding it (`outputs`).

    `model` is one model or a chain applied in order ("denoise,sr-x4", or a list); `tile`, `tile_overlap`
    and `precision` apply to each model, tiles in that model's input pixels; `batch` (frames per model
    call, "auto") and `compile` (torch.compile) change the speed, not the frames (see `Enhancer`).  `sigma` (8-bit units) fixes
    a denoiser's noise level, which it otherwise estimates from each frame; `strength` multiplies it.

    Keeps every frame with its timestamp (the exact rate, or each frame's own time for variable frame
    rates), the audio and subtitles, the bit depth asked for and the colour tags; never holds more than a
    few frames.  `resume` continues the unfinished work of an earlier run with the same settings;
    segments end every `segment_frames` frames (default: a number fixed by the frame size and rate).
    Temporal windows stop at scene cuts (`scene_cuts`, `scene_threshold`).  A source the decoder cannot
    wholly decode stops the run when the first missing frame shows (keeping finished segments);
    `accept_damaged` enhances the frames it gives, at their own times, and reports the missing ones.
    `preset` is the encoder's speed preset (libx264/libx265 ultrafast .. veryslow, NVENC p1 .. p7).
    `subtitles=False` drops the subtitles (for a container that cannot hold them).  `progress(done,
    total)`, if given, is called after every frame.  Out of GPU memory, the tile is halved and the run goes
    on from its first unfinished segment (`tiles`).  Returns {"output", "frames", "seconds", "fps",
    "resumed_from", "segments", "scene_cuts", "missing_frames", "tile"}: frames in the output, frames kept
    from the earlier run, segments written by this run, the frames that start a new scene (None when no
    frame was decoded), the source frames (from 0) a damaged source lacks, and the tile the run ended with
    (0: whole frames).
    """
    src, output = Path(input), output_path(output)
    info = probe(src)
    timeline = Timeline.of(info)  # the source's own times, before --fps retimes them
    if info.alpha:
        warn(f"{src} has an alpha channel (transparency), which is dropped: the models enhance colour only, "
             f"and the output has no alpha")
    if fps is not None:
        _set_rate(info, fps)
    codec = codec or DEFAULT_CODEC
    crf = DEFAULT_CRF if crf is None else crf
    check_quality(codec, crf)
    if scene_cuts and not 0 < scene_threshold < 1:
        raise GenvidError(f"--scene-threshold must lie between 0 and 1, got {scene_threshold}")
    if segment_frames is not None and segment_frames < 1:
        raise GenvidError(f"--segment-frames must be at least 1, got {segment_frames}")
    check_batch(batch)
    folder_out = is_folder_output(output)
    dev = pick_device(device)
    dtype = pick_precision(precision, dev, deep_source=info.bit_depth > 8)
    names = model_chain(model)
    settings = _settings(src, info, names, sigma, strength, dtype, tile, tile_overlap, codec, crf, pix_fmt,
                         scene_threshold if scene_cuts else None, "folder" if folder_out else output.suffix.lower())
    if preset:  # the encoder's speed preset (-preset); only when given, so earlier manifests still match
        settings["preset"] = preset
    work = WorkFolder(output)
    if resume and work.finish_joined(settings):  # the earlier run died after joining: its output is whole
        return _result(output, info.frame_count, 0.0, info.frame_count, 0, 0, None, [], tile)
    check_output_path(src, output, overwrite,
                      [frame_file_name(info, i) for i in range(info.frame_count)] if folder_out else None)
    streams = StreamPlan() if folder_out else plan_streams(info, output, subtitles)
    check_output_depth(info, codec, pix_fmt, folder_out)
    damage = find_damage(info, timeline) if accept_damaged else None
    if damage is not None:  # settings stay those of the source: a resume keeps the segments of a run without it
        print(f"genvid: warning: {damage.describe()}; enhancing the {len(damage.times)} it gives at their own times",
              file=sys.stderr, flush=True)
        damage.apply(info, retimed=fps is not None)
        timeline = damage.timeline
    enhancer = Enhancer(names, dev, dtype, tile=tile, tile_overlap=tile_overlap, sigma=sigma, strength=strength,
                        scene_threshold=scene_threshold if scene_cuts else None, batch=batch, compile=compile)
    check_tiles([net for _, net in enhancer.models], names, tile, tile_overlap)
    scale = enhancer.scale
    out_fmt = output_pix_fmt(codec, pix_fmt)
    high = is_high_depth(out_fmt) or (info.bit_depth > 8 and (folder_out or out_fmt is None))
    spec = OutputSpec(info, info.width * scale, info.height * scale, folder_out, high, codec, crf, pix_fmt,
                      tuple(hdr_encoder_args(info, codec, folder_out)) + (("-preset", preset) if preset else ()))
    created = make_parents(output)
    try:
        if not folder_out:
            check_output(spec, output)
        first_tile, free = resume_tile(work, settings, enhancer, info.height, info.width, resume, overwrite)
        done = work.open(settings, resume, overwrite, free)
        if first_tile != tile:
            enhancer.retile(first_tile)
        work.note_tile(first_tile)
    except BaseException:
        remove_made(created)
        raise
    writer, cuts, start, first_done, kept = None, None, time.time(), done, len(work.segments)
    try:
        while True:
            writer = SegmentWriter(spec, work, done, segment_frames or default_segment_frames(info),
                                   on_boundary=state_keeper(work, enhancer))
            if done >= info.frame_count:
                break
            failed_at = _run_model(enhancer, writer, work, info, timeline, done, high, quiet, src.name, progress)
            if failed_at is None:
                cuts = list(enhancer.cuts)
                break
            done = retry_smaller(work, writer, enhancer, info.height, info.width, tile_overlap, failed_at)
        writer.finish()
        if writer.frames_written != info.frame_count:
            raise GenvidError(f"wrote {writer.frames_written} frames but {src} has {info.frame_count}; "
                              f"output discarded")
        _join(work, spec, output, colour_tags(info, out_fmt), streams)
    except BaseException as e:
        if writer is not None:
            writer.abort()
        error = _keep_or_clean(work, info, e)
        if not work.path.exists():
            remove_made(created)
        raise error from None
    seconds = time.time() - start
    return _result(output, info.frame_count, seconds, first_done, info.frame_count - first_done,
                   len(work.segments) - kept, cuts, damage.missing if damage else [], enhancer.tile)


def _run_model(enhancer: Enhancer, writer: SegmentWriter, work: WorkFolder, info: VideoInfo, timeline: Timeline,
               done: int, high: bool, quiet: bool, name: str, progress) -> int | None:
    """Runs the models on frames `done` onwards into `writer`; returns None, or on running out of GPU memory
    the frame it was making (the attempt's tensors are released with this function's frame)."""
    n = done
    try:
        # the bar is closed however the loop ends, so that an error or "interrupted" starts its own line
        with FrameReader(info, high_bit_depth=True, timeline=timeline) as reader, \
                tqdm(total=info.frame_count, initial=done, unit="frame", disable=quiet, file=sys.stderr,
                     dynamic_ncols=True, desc=name[:30]) as bar:
            source = GreyFrames(reader, first=done)
            frames = enhancer.run(source, start=done, state=load_state(work, done), high_bit_depth=high)
            for n, frame in enumerate(frames, done + 1):
                writer.write(source.output(n - 1, frame))
                bar.update(1)
                if progress is not None:
                    progress(n, info.frame_count)
    except OUT_OF_MEMORY:
        return n
    return None


def _set_rate(info: VideoInfo, fps: str) -> None:
    """--fps: every frame at this exact rate (a variable-rate source is retimed to it, as asked)."""
    try:
        info.fps = Fraction(fps)
    except (ValueError, ZeroDivisionError):
        raise GenvidError(f"--fps must be a number or a ratio like 30000/1001, got '{fps}'") from None
    if info.fps <= 0:
        raise GenvidError(f"--fps must be positive, got '{fps}'")
    info.frame_times = info.end_time = None
    info.variable_frame_rate = False


def _settings(src: Path, info: VideoInfo, names: list[str], sigma: float | None, strength: float, dtype, tile: int,
              tile_overlap: int | None, codec: str, crf: int, pix_fmt: str | None, scene_threshold: float | None,
              output_kind: str) -> dict:
    """Everything that decides the output's frames and format: a resumed run must match it exactly."""
    stat = src.stat()
    shas = [sha256_of(resolve(name)[0]) for name in names]
    return {"source": str(src.resolve()), "source_size": stat.st_size, "source_mtime_ns": stat.st_mtime_ns,
            "frames": info.frame_count, "fps": str(info.fps), "variable_frame_rate": info.frame_times is not None,
            "model_sha256": shas[0] if len(shas) == 1 else shas,
            "sigma": sigma, "strength": strength, "precision": str(dtype), "tile": tile, "tile_overlap": tile_overlap,
            "codec": codec, "crf": crf, "pix_fmt": pix_fmt, "scene_threshold": scene_threshold, "output": output_kind}


def _join(work: WorkFolder, spec: OutputSpec, output: Path, tags: dict, streams: StreamPlan) -> None:
    """Joins the segments into one file inside the work folder, records it, renames it onto `output`."""
    if spec.folder:
        joined = work.path / "frames"
        write_marker(joined, [p.name for p in joined.iterdir()])
    else:
        joined = work.path / f"joined{output.suffix}"
        segments = work.segments
        if len(segments) == 1:
            video = ["-i", str(work.path / segments[0]["file"])]
        else:
            video = ["-f", "concat", "-safe", "0", "-i", str(concat_list(work, spec))]
        remux(video, spec.info, joined, colour_tag_args(tags, ":v"), streams)
        fsync_file(joined)
    work.mark_joined(joined)
    if spec.folder:
        install_frames(joined, output)
    else:
        os.replace(joined, output)
        fsync_folder(output.parent)
    work.remove()


def _keep_or_clean(work: WorkFolder, info: VideoInfo, error: BaseException) -> BaseException:
    """After a failure: finished segments stay for --resume (and the message says so); else nothing stays."""
    damaged = isinstance(error, DamagedSource)
    if damaged:
        resume = "--resume --accept-damaged" if work.segments else "--accept-damaged"
        error = GenvidError(f"{error.what}; rerun with {resume} to enhance the frames the decoder gives, at their "
                            f"times (the missing ones are reported), or repair the file")
    if not work.segments:
        work.remove()
        if isinstance(error, OSError):
            return GenvidError(f"cannot write {work.output}: {error.strerror or error}")
        return error
    work.release()
    kept = f"{work.done_frames} of {info.frame_count} frames are kept in {work.path}"
    if damaged:
        return GenvidError(str(error).replace("; rerun with", f"; {kept}; rerun with", 1))
    kept += "; rerun with --resume to continue"
    if isinstance(error, (GenvidError, OSError)):
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        return GenvidError(f"{reason}; {kept}")
    print(f"genvid: {kept}", file=sys.stderr, flush=True)
    return error


def _result(output: Path, frames: int, seconds: float, resumed_from: int, processed: int, segments: int,
            cuts: list[int] | None, missing: list[int], tile: int) -> dict:
    return {"output": str(output), "frames": frames, "seconds": round(seconds, 3),
            "fps": round(processed / seconds, 3) if seconds else None, "resumed_from": resumed_from,
            "segments": segments, "scene_cuts": cuts, "missing_frames": missing, "tile": tile}

