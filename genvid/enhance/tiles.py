"""The tile a file job runs with: made smaller when the GPU runs out of memory, and kept or changed on resume.

Out of GPU memory (`torch.OutOfMemoryError`, anywhere in the model's work): the segment being written is
dropped, the tile halved (`engine.retile.smaller_tile`: from the frame size, or from the tile in use,
down to the least tile the models take) and the run goes on from the first unfinished segment with the
models still loaded, as a resumed run does; a line on stderr says so, and the job's result reports the
tile it ended with.  Where even the least tile does not fit, the run stops with one line (the finished
segments stay for --resume).  The manifest records the tile in use (`tile_used`), so a resume with the
same options starts there instead of running out of memory again.

What the retry does to the frames: sliding windows with exact tiles (an overlap of at least their
receptive radius, the default) give the frames of an untiled run, so nothing changes.  Tiles of a
recurrent model carry hidden states of their own, so its saved states (made with the old tiles) are
dropped and it runs again from the first frame with the new tiles, writing from the first unfinished
segment: those frames are what a run with the new tile gives, while the finished segments keep the
frames of the old tile.  A bidirectional model's chunks and an inexact window start with the new tile
at the first unfinished segment likewise.

Resume with another --tile or --tile-overlap: accepted where tiling cannot change the frames
(`engine.retile.tiles_differ`: exact windows, or whole frames either way); else refused in one line that
says why and which tile the earlier run used.
"""
from __future__ import annotations

import sys

from ..engine.retile import free_memory, smaller_tile, tiles_differ
from ..engine.tiling import least_tile
from ..errors import GenvidError
from .workdir import FORMAT, WorkFolder

TILE_SETTINGS = ("tile", "tile_overlap")


def tile_options(tile: int, overlap: int | None) -> str:
    """The options that give this tiling, as a user would type them."""
    text = f"--tile {tile}" if tile > 0 else "whole frames (--tile 0)"
    return text + (f" --tile-overlap {overlap}" if overlap is not None else "")


def resume_tile(work: WorkFolder, settings: dict, enhancer, height: int, width: int, resume: bool,
                overwrite: bool) -> tuple[int, tuple[str, ...]]:
    """(the tile to start with, the settings that may differ from the unfinished work's) for a run on a
    height x width source; refuses another tiling of unfinished work where it could change the frames."""
    asked, overlap = settings["tile"], settings["tile_overlap"]
    found = work.read() if resume and work.path.is_dir() else None
    if not found or found.get("format") != FORMAT or not isinstance(found.get("settings"), dict):
        return asked, ()
    old = found["settings"]
    used = found.get("tile_used", old.get("tile"))
    used = used if isinstance(used, int) else asked
    if all(old.get(k) == settings[k] for k in TILE_SETTINGS):
        return used, ()  # the same options: on with the tile the earlier run came to
    reason = tiles_differ(enhancer.models, height, width, (used, old.get("tile_overlap")), (asked, overlap))
    if reason is None:
        return asked, TILE_SETTINGS
    others = set(old) | set(settings)
    if not overwrite and all(old.get(k) == settings.get(k) for k in others - set(TILE_SETTINGS)):
        made = tile_options(used, old.get("tile_overlap"))
        raise GenvidError(f"the unfinished work in {work.path} was made with {made}, and {reason}, so other tiles "
                          f"would change its frames; rerun with those options, or pass --overwrite (or delete that "
                          f"folder) to start over")
    return asked, ()  # the work folder names the other setting that differs, or --overwrite starts over


def retry_smaller(work: WorkFolder, writer, enhancer, height: int, width: int, overlap: int | None,
                  failed_at: int) -> int:
    """After running out of GPU memory at frame `failed_at`: drops the segment being written, goes on with
    the next smaller tile (or raises a one-line GenvidError when there is none), and returns the frame to
    start from (the first unfinished one)."""
    writer.abort(timeout=None)
    old = enhancer.tile
    new = smaller_tile(enhancer.models, old, overlap, height, width)
    enhancer.retile(new if new is not None else old)  # drops the stages' tensors of the failed attempt
    free_memory(enhancer.device)
    if new is None:
        least = max(least_tile(net, overlap) for _, net in enhancer.models)
        tried = f"--tile {old}" if old > 0 else "whole frames"
        raise GenvidError(f"out of GPU memory at frame {failed_at} even with {tried} (the least tile the "
                          f"model{'s take' if len(enhancer.models) > 1 else ' takes'} is {least}); free GPU memory "
                          f"(other programs), pass a smaller --tile-overlap, or use --device cpu")
    work.delete_unlisted()
    if enhancer.stateful and new != old:
        work.drop_states()  # states hold one hidden state per old tile
    work.note_tile(new)
    done = work.done_frames
    print(f"genvid: out of GPU memory at frame {failed_at} with {f'--tile {old}' if old > 0 else 'whole frames'}; "
          f"going on from frame {done} with --tile {new}", file=sys.stderr, flush=True)
    return done
