"""A per-frame plot of `genvid eval` scores as a PNG: one panel per kind of score, frame index across.

Needs matplotlib (`pip install "genvid[metrics]"`).  Frames where PSNR is infinite (identical frames)
are marked along the panel's top edge; scores a frame lacks (tOF and tLP of the first frame) leave a gap.
"""
from __future__ import annotations

import math
from pathlib import Path

from ..errors import GenvidError

PANELS = [  # (title, keys, y label)
    ("PSNR", ("psnr_y", "psnr_rgb"), "dB"),
    ("SSIM", ("ssim_y", "ssim_rgb"), ""),
    ("VMAF", ("vmaf",), ""),
    ("tOF (lower is steadier)", ("tof",), "pixels"),
    ("LPIPS", ("lpips",), ""),
    ("tLP (lower is steadier)", ("tlp",), ""),
]


def pyplot():
    try:
        import matplotlib
    except ImportError:
        raise GenvidError('--plot needs matplotlib: pip install "genvid[metrics]" (or pip install matplotlib)') from None
    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt
    return plt


def check_plot_path(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise GenvidError(f"the plot is a PNG image: give a file name ending in .png, not {path.name}")
    if not path.resolve().parent.is_dir():
        raise GenvidError(f"cannot write {path}: folder {path.resolve().parent} does not exist")
    return path


def plot_per_frame(rows: list[dict], path: str | Path, title: str = "") -> Path:
    """Writes the plot of `rows` (one dict of scores per frame) to `path` (PNG); returns the path."""
    path = check_plot_path(path)
    plt = pyplot()
    panels = [(t, [k for k in keys if any(k in r for r in rows)], unit) for t, keys, unit in PANELS]
    panels = [p for p in panels if p[1]]
    if not panels:
        raise GenvidError("nothing to plot: no per-frame scores")
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 2.2 * len(panels)), sharex=True, squeeze=False)
    frames = list(range(len(rows)))
    for ax, (name, keys, unit) in zip(axes[:, 0], panels):
        for key in keys:
            values = [r.get(key, math.nan) for r in rows]
            finite = [v if math.isfinite(v) else math.nan for v in values]
            line, = ax.plot(frames, finite, marker=".", label=key)
            inf = [i for i, v in enumerate(values) if v == math.inf]
            if inf:
                ax.plot(inf, [1.0] * len(inf), "^", color=line.get_color(), transform=ax.get_xaxis_transform(),
                        clip_on=False, label=f"{key} = inf (identical)")
        ax.set_title(name, fontsize=10, loc="left")
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    from matplotlib.ticker import MaxNLocator

    axes[-1, 0].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[-1, 0].set_xlabel("frame")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)
    plt.close(fig)
    return path
