"""Sources the decoder cannot wholly decode: noticing a missing frame when it happens, and keeping the rest.

A corrupt packet in the middle of a file makes the decoder skip frames (and leaves the count short only at
the end).  Every decoded frame carries its presentation time, and `Timeline` maps that time to the source
frame it belongs to: the grid of the exact rate from the first frame, or the source's own timestamps for
variable-frame-rate sources (the demuxed packets' times, which the decoder's equal).  So `FrameCheck`
notices a missing frame when the frame after it arrives, before that frame is used: a frame is never
taken for the one before it, and every frame handed on is the one it claims to be.

`find_damage` decodes the source once without converting it (timestamps only) and lists the frames the
decoder gives and those it does not; `Damage.apply` makes the given frames, at their own times, the
source that `genvid enhance --accept-damaged` enhances (a missing frame's time is covered by the frame
before it, as a player shows it).  Frames are numbered from 0.
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from fractions import Fraction

from ..errors import GenvidError
from .ffmpeg import last_error_line, run_ffmpeg
from .probe import NO_PTS, VideoInfo

REPAIR = "repair or re-export the file"
# a second ffmpeg output beside the frames: each decoded frame's time, without converting or copying it
TIMES_OUTPUT = ["-map", "0:V:0", "-fps_mode", "passthrough", "-enc_time_base", "demux", "-c:v", "wrapped_avframe",
                "-flush_packets", "1", "-f", "framecrc"]


class DamagedSource(GenvidError):
    """The decoder gives fewer frames than the source holds; `what` says which, without what to do."""

    def __init__(self, what: str, delivered: int):
        super().__init__(f"{what}; {REPAIR}")
        self.what, self.delivered = what, delivered


@dataclass
class Timeline:
    """Which source frame a decoded time belongs to."""
    time_base: Fraction
    fps: Fraction
    start: int  # the first frame's time, in time_base
    count: int
    times: list[int] | None = None  # every frame's time (variable frame rate), ascending

    @classmethod
    def of(cls, info: VideoInfo) -> Timeline | None:
        """The source's own timeline; None where its packets carry no times (only the count is checked)."""
        if info.is_image_folder or info.time_base is None or info.first_pts is None:
            return None
        if info.frame_times is not None:
            return cls(info.time_base, info.fps, info.frame_times[0], info.frame_count, list(info.frame_times))
        return cls(info.time_base, info.fps, info.first_pts, info.frame_count)

    def index(self, pts: int) -> int:
        if self.times is None:
            return round((pts - self.start) * self.time_base * self.fps)
        i = bisect_left(self.times, pts)
        if i == len(self.times) or (i > 0 and pts - self.times[i - 1] < self.times[i] - pts):
            i -= 1
        return i

    def seconds(self, index: int) -> float:
        if self.times is not None and index < len(self.times):
            return float(self.times[index] * self.time_base)
        return float(self.start * self.time_base + index / self.fps)

    def end(self, end_time: int | None) -> int:
        """When the last frame ends, in time_base (`end_time`: the source's, for variable frame rates)."""
        if self.times is not None and end_time is not None:
            return end_time
        return self.start + round(self.count / (self.fps * self.time_base))


def decoded_times(lines, time_base: Fraction | None):
    """Yields each decoded frame's time, in `time_base` (None: as written), from ffmpeg's framecrc lines
    (`TIMES_OUTPUT`); None for a frame without one."""
    written_in = time_base
    for line in lines:
        if line.startswith("#tb 0:"):
            written_in = Fraction(line.split(":", 1)[1].strip())
        elif line.strip() and not line.startswith("#"):
            pts = int(line.split(",")[2])
            if pts == NO_PTS:
                yield None
            else:
                yield pts if time_base in (None, written_in) else round(pts * written_in / time_base)


class FrameCheck:
    """Follows the decoded frames: `frame(pts)` before each is used, `end()` after the last."""

    def __init__(self, info: VideoInfo, timeline: Timeline | None):
        self.path, self.count, self.timeline = info.path, info.frame_count, timeline
        self.next = self.delivered = 0  # the source frame expected next; frames given so far

    def frame(self, pts: int | None) -> None:
        if self.timeline is None or pts is None:
            self.next += 1
        else:
            index = self.timeline.index(pts)
            if index > self.next:
                missing = index - self.next
                what = (f"frame {self.next} (at {self.timeline.seconds(self.next):.3f} s)" if missing == 1 else
                        f"frames {self.next} to {index - 1} (from {self.timeline.seconds(self.next):.3f} s)")
                raise DamagedSource(f"{self.path} is corrupt: the decoder skips {what}", self.delivered)
            self.next = max(self.next, index + 1)
        self.delivered += 1

    def end(self) -> None:
        if self.delivered != self.count:
            raise DamagedSource(f"{self.path} is truncated or corrupt: decoded {self.delivered} of {self.count} "
                                f"frames", self.delivered)


@dataclass
class Damage:
    """What the decoder gives of a damaged source: its frames' times and the source frames it does not give."""
    path: str
    times: list[int]  # in the source's time base, ascending
    missing: list[int]
    count: int  # frames in the source
    source: Timeline

    @property
    def timeline(self) -> Timeline:
        """The timeline of the frames given: each is the next."""
        return Timeline(self.source.time_base, self.source.fps, self.times[0], len(self.times), self.times)

    def describe(self, shown: int = 5) -> str:
        listed = ", ".join(f"{i} at {self.source.seconds(i):.3f} s" for i in self.missing[:shown])
        more = f" and {len(self.missing) - shown} more" if len(self.missing) > shown else ""
        return (f"{self.path} is damaged: the decoder gives {len(self.times)} of its {self.count} frames "
                f"(missing: {listed or 'none'}{more})")

    def apply(self, info: VideoInfo, retimed: bool = False) -> None:
        """Makes `info` the frames given, each at its own time unless `retimed` (--fps numbers them at its
        rate).  The last one lasts until the source's last frame would have ended."""
        info.frame_count = len(self.times)
        info.video_start = float(self.times[0] * self.source.time_base)
        if not retimed:
            end = self.source.end(info.end_time)
            info.frame_times, info.variable_frame_rate = list(self.times), True
            info.end_time = max(end, self.times[-1] + 1)


def find_damage(info: VideoInfo, source: Timeline | None) -> Damage | None:
    """Decodes `info`'s video once (timestamps only): None when every frame comes, else what does.
    `source`: the source's own timeline (`Timeline.of` the probed info)."""
    if info.is_image_folder:
        return None
    r = run_ffmpeg(["-v", "error", "-i", info.path, *TIMES_OUTPUT, "-"])
    if r.returncode != 0:
        raise GenvidError(f"cannot decode {info.path}: {last_error_line(r.stderr)}")
    times = list(decoded_times(r.stdout.splitlines(), source.time_base if source else None))
    if source is None or None in times:
        if len(times) == info.frame_count:
            return None
        raise GenvidError(f"{info.path} is truncated or corrupt: decoded {len(times)} of {info.frame_count} frames, "
                          f"and its frames carry no timestamps to place the others by; {REPAIR}")
    if not times:
        raise GenvidError(f"{info.path} is damaged: the decoder gives none of its frames; {REPAIR}")
    indices = [source.index(t) for t in times]
    if any(b <= a for a, b in zip(indices, indices[1:])):
        raise GenvidError(f"{info.path} is damaged beyond keeping: the decoder gives its frames out of order or "
                          f"twice; {REPAIR}")
    given = set(indices)
    missing = [i for i in range(info.frame_count) if i not in given]
    if not missing and len(times) == info.frame_count:
        return None
    return Damage(info.path, times, missing, info.frame_count, source)
