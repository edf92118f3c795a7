"""The `genvid` command: enhance, train, eval, compare, models, batch, synth.  User errors print one line and exit 2."""
from __future__ import annotations

import argparse
import sys

from ..errors import GenvidError
from . import commands


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(prog="genvid", description="Generative video: enhance, train, evaluate, compare.")
    parser.add_argument("--version", action="version", version=f"genvid {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for register in commands.REGISTER:
        register(sub)
    return parser


def close_progress_bars() -> None:
    """Closes the progress bars still drawn (a run stopped by an error or ^C), each ending its line, so that
    the message after them starts a line of its own."""
    tqdm = sys.modules.get("tqdm")
    for bar in list(getattr(getattr(tqdm, "tqdm", None), "_instances", None) or ()):
        bar.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except GenvidError as e:
        close_progress_bars()
        print(f"genvid {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        close_progress_bars()
        print(f"genvid {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
