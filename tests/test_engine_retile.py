"""genvid.engine.retile: the halving schedule after running out of memory, and which tile changes cannot
change the output (exact windows, whole frames) and which can (recurrent, bidirectional, little overlap)."""
import pytest

from genvid.engine.retile import input_sizes, smaller_tile, tiles_differ
from genvid.models import SlidingWindowSR
from genvid.models.basicvsr import BasicVSR
from genvid.models.recurrent_sr import RecurrentFlowSR


@pytest.fixture(scope="module")
def window():
    return "win", SlidingWindowSR(channels=8, blocks=1, radius=1, scale=4, encoder_blocks=1)  # radius 8


def test_halving_starts_from_the_frame_and_stops_at_the_least_tile(window):
    tiles, tile = [], 0
    while (tile := smaller_tile([window], tile, None, 1080, 1920)) is not None:
        tiles.append(tile)
    assert tiles == [960, 480, 240, 120, 60, 30, 17]  # 17: more than twice the 8 pixels of overlap
    assert smaller_tile([window], 4096, None, 1080, 1920) == 960, "a tile larger than the frame is whole frames"
    assert smaller_tile([window], 0, 2, 1080, 1920) == 960 and smaller_tile([window], 17, 2, 1080, 1920) == 16
    assert smaller_tile([window], 0, None, 12, 16) is None, "a frame under the least tile cannot be tiled"


def test_a_chain_halves_from_the_largest_frame_any_of_its_models_gets(window):
    chain = [window, ("win2", window[1])]
    assert input_sizes(chain, 90, 160) == [(90, 160), (360, 640)]
    assert smaller_tile(chain, 0, None, 90, 160) == 320


def test_which_tile_changes_can_change_the_output(window):
    rec = ("rec", RecurrentFlowSR(channels=4, blocks=1, scale=4))
    bi = ("bi", BasicVSR(num_feat=4, num_block=1))
    assert tiles_differ([window], 64, 96, (0, None), (32, None)) is None
    assert tiles_differ([window], 64, 96, (0, None), (32, 12)) is None, "a wider overlap is exact too"
    assert tiles_differ([window], 64, 96, (0, None), (32, 4)) == (
        "with 4 pixels of overlap the tiles of win are inexact (its receptive radius is 8)")
    assert tiles_differ([window], 64, 96, (0, 4), (100, 4)) is None, "one tile covering the frame is whole frames"
    assert tiles_differ([rec], 64, 96, (0, None), (48, None)) == (
        "rec is recurrent (each tile carries its own hidden state)")
    assert tiles_differ([rec], 64, 96, (0, None), (96, None)) is None
    assert "bi is bidirectional" in tiles_differ([bi], 64, 96, (48, None), (0, None))
    assert "rec is recurrent" in tiles_differ([window, rec], 16, 24, (0, None), (48, None)), \
        "the second model gets 64x96 frames, which tiles of 48 cut"
