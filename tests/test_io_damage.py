"""genvid.io.damage: a corrupt packet mid-file is noticed when the frame after it arrives, never passed off
as the missing frame; the frames the decoder does give are listed with their times."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from conftest import make_clip, make_damaged_clip, make_vfr_clip, vfr_time
from genvid.io.damage import DamagedSource, Timeline, find_damage
from genvid.io.decode import FrameReader, read_frames
from genvid.io.probe import probe


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    return make_damaged_clip(tmp_path_factory.mktemp("damaged") / "damaged.mp4")


def test_the_reader_stops_at_the_first_missing_frame(damaged):
    """Every frame handed on is the source frame it claims to be: none after the gap, where the frame after
    the missing one would take its place (and its time)."""
    bad, intact = damaged
    damage = find_damage(probe(bad), Timeline.of(probe(bad)))
    first = damage.missing[0]
    got = []
    with pytest.raises(DamagedSource, match=rf"damaged.mp4 is corrupt: the decoder skips frames? {first}\b.*repair"):
        with FrameReader(bad, high_bit_depth=False) as reader:
            for frame in reader:
                got.append(frame)
    assert len(got) == first
    clean = read_frames(intact)
    gop = first // 10 * 10  # frames of the damaged group of pictures may be concealed, not those before it
    assert gop > 0 and all(np.array_equal(a, b) for a, b in zip(got[:gop], clean[:gop]))


def test_find_damage_lists_the_missing_frames_and_the_times_of_the_others(damaged):
    bad, intact = damaged
    info = probe(bad)
    assert info.frame_count == 50 and info.fps == 25
    damage = find_damage(info, Timeline.of(info))
    assert damage is not None and damage.missing and len(damage.times) + len(damage.missing) == 50
    given = sorted(set(range(50)) - set(damage.missing))
    assert [round(t * info.time_base * 25) for t in damage.times] == given  # each at its own source time
    first = damage.missing[0]
    assert f"gives {len(damage.times)} of its 50 frames (missing: {first} at {first / 25:.3f} s" in damage.describe()
    assert find_damage(probe(intact), Timeline.of(probe(intact))) is None


def test_a_short_decode_raises_at_its_end(damaged):
    """The frames' times are all there but the source claims more: the count is checked at the end."""
    import dataclasses

    info = probe(damaged[1])
    claimed = dataclasses.replace(info, frame_count=info.frame_count + 2)
    with pytest.raises(DamagedSource, match="decoded 50 of 52 frames"):
        with FrameReader(claimed) as reader:
            assert sum(1 for _ in reader) == 50


def test_timeline_maps_times_to_frames(tmp_path):
    # millisecond timestamps at 30000/1001: 0, 33, 67, 100, ... are frames 0, 1, 2, 3
    mkv = make_clip(tmp_path / "ntsc.mkv", size="32x32", rate="30000/1001", frames=40, codec="ffv1")
    line = Timeline.of(probe(mkv))
    assert line.time_base == Fraction(1, 1000) and line.times is None
    assert [line.index(t) for t in (0, 33, 67, 100, 1301)] == [0, 1, 2, 3, 39]
    vfr = Timeline.of(probe(make_vfr_clip(tmp_path / "vfr.mkv", 12)))
    assert vfr.times is not None
    assert [vfr.index(round(vfr_time(n) * 1000)) for n in range(12)] == list(range(12))
    assert vfr.seconds(5) == pytest.approx(vfr_time(5))


def test_without_a_pipe_for_the_times_only_the_count_is_checked(damaged, monkeypatch):
    """Where no second pipe can be passed to ffmpeg (Windows), decoding works and a short count still raises."""
    from genvid.io import decode

    monkeypatch.setattr(decode, "TIMES_PIPE", False)
    bad, intact = damaged
    assert len(read_frames(intact)) == 50
    with pytest.raises(DamagedSource, match=r"decoded \d+ of 50 frames"):
        read_frames(bad)
