"""spandrel against genvid's own SRVGGNetCompact and RRDBNet: the same frames through both networks.

The real `realesr-animevideov3.pth` anchor (../shared/anchors) on the first frames of
../shared/data/clips/carphone_pristine.mp4 (176x144), and RRDBNet checkpoints built from genvid's own class
with random weights (8 features, 2 blocks, 32 growth channels as Real-ESRGAN's; x1, x2, x4, x8) saved in
Real-ESRGAN's layout (`{"params_ema": state_dict}`), on the same frames.  Prints the largest absolute
difference of the raw outputs (before any clamping), in [0, 1] units.

    .venv/bin/python benchmarks/spandrel_parity.py [--frames 4] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, fail  # noqa: E402

PROG = "spandrel_parity.py"
SHARED = REPO.parent / "shared"


def main() -> None:
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=4, help="frames of carphone_pristine.mp4 (default 4)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    anchor, clip = SHARED / "anchors" / "realesr-animevideov3.pth", SHARED / "data" / "clips" / "carphone_pristine.mp4"
    if not anchor.is_file() or not clip.is_file():
        fail(PROG, f"needs {anchor} and {clip} (../shared)")
    import torch

    from genvid.io.decode import read_frames
    from genvid.models.rrdbnet import RRDBNet
    from genvid.models.spandrel_models import describe, read_tensors
    from genvid.models.srvgg import SRVGGNetCompact

    torch.set_num_threads(1)
    x = torch.stack([torch.from_numpy(f).permute(2, 0, 1).float() / 255 for f in read_frames(clip, a.frames)])

    def spandrel_net(path):
        return describe(read_tensors(path), path).model.eval()

    state = torch.load(anchor, map_location="cpu", weights_only=True)["params"]
    own = SRVGGNetCompact(num_feat=64, num_conv=16, scale=4).eval()
    own.load_state_dict(state)
    rows = []
    with torch.inference_mode():
        rows.append({"model": anchor.name, "frames": len(x),
                     "max_abs_diff": (own.forward_frames(x) - spandrel_net(anchor)(x)).abs().max().item()})
        with tempfile.TemporaryDirectory() as tmp:
            for scale in (1, 2, 4, 8):
                torch.manual_seed(scale)
                net = RRDBNet(num_feat=8, num_block=2, num_grow_ch=32, scale=scale).eval()
                path = Path(tmp) / f"rrdb-x{scale}.pth"
                torch.save({"params_ema": net.state_dict()}, path)
                rows.append({"model": f"random RRDBNet x{scale}", "frames": len(x),
                             "max_abs_diff": (net.forward_frames(x) - spandrel_net(path)(x)).abs().max().item()})
    if a.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            print(f"{r['model']:<28} {r['frames']} frames  max |genvid - spandrel| = {r['max_abs_diff']:.3g}")


if __name__ == "__main__":
    main()
