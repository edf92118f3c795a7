"""genvid.io.hdr: the HDR policy: 8-bit outputs refused, deeper SDR sources warned about, mastering
metadata read from the source and handed to libx265."""
from __future__ import annotations

import pytest

from conftest import make_clip
from genvid.errors import GenvidError
from genvid.io.hdr import check_output_depth, hdr_encoder_args, mastering_metadata
from genvid.io.probe import probe

MASTER = "G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50)"
PQ_TAGS = "setparams=color_primaries=bt2020:color_trc=smpte2084:colorspace=bt2020nc:range=tv"


def make_hdr_clip(path, *, transfer: str = "smpte2084", master: bool = True, frames: int = 3):
    params = "log-level=error" + (f":master-display={MASTER}:max-cll=1000,400" if master else "")
    return make_clip(path, size="64x48", frames=frames, codec="libx265", pix_fmt="yuv420p10le",
                     extra=["-vf", PQ_TAGS.replace("smpte2084", transfer), "-x265-params", params])


@pytest.fixture(scope="module")
def pq(tmp_path_factory):
    return probe(make_hdr_clip(tmp_path_factory.mktemp("hdr") / "pq.mkv"))


def test_mastering_metadata_is_read_as_x265_takes_it(pq):
    assert pq.hdr == "PQ"
    assert mastering_metadata(pq) == {"master_display": MASTER, "max_cll": "1000,400"}


def test_no_metadata_no_parameters(tmp_path):
    hlg = probe(make_hdr_clip(tmp_path / "hlg.mkv", transfer="arib-std-b67", master=False))
    assert hlg.hdr == "HLG"
    assert mastering_metadata(hlg) == {}


@pytest.mark.parametrize("codec,pix_fmt", [("libx264", None), ("libx265", "yuv420p"), ("libx264", "yuv444p")])
def test_eight_bit_output_of_hdr_is_refused_with_the_fix(pq, codec, pix_fmt):
    with pytest.raises(GenvidError) as e:
        check_output_depth(pq, codec, pix_fmt, folder_out=False)
    msg = str(e.value)
    assert "HDR (PQ, 10-bit)" in msg and pq.path in msg and "--pix-fmt yuv420p10le" in msg
    assert "\n" not in msg


@pytest.mark.parametrize("codec,pix_fmt,folder", [("libx265", "yuv420p10le", False), ("prores_ks", None, False),
                                                  ("ffv1", None, False), ("libx264", None, True)])
def test_deep_outputs_of_hdr_are_accepted(pq, codec, pix_fmt, folder):
    check_output_depth(pq, codec, pix_fmt, folder_out=folder)


def test_ten_bit_sdr_to_eight_bit_is_said_not_silent(tmp_path, capsys):
    ten = probe(make_clip(tmp_path / "ten.mkv", frames=2, codec="ffv1", pix_fmt="yuv420p10le"))
    check_output_depth(ten, "libx264", None, folder_out=False)
    err = capsys.readouterr().err
    assert "10-bit" in err and "8-bit" in err and "--pix-fmt" in err
    check_output_depth(ten, "libx264", "yuv420p10le", folder_out=False)
    assert capsys.readouterr().err == ""


def test_encoder_arguments_and_warnings(pq, capsys):
    args = hdr_encoder_args(pq, "libx265", folder_out=False)
    assert args == ["-x265-params", f"log-level=error:master-display={MASTER}:max-cll=1000,400"]
    assert "trained on SDR" in capsys.readouterr().err
    assert hdr_encoder_args(pq, "prores_ks", folder_out=False) == []
    assert "only libx265" in capsys.readouterr().err
    assert hdr_encoder_args(pq, "libx264", folder_out=True) == []
    assert "PNG frames carry no colour tags" in capsys.readouterr().err
