"""`python -m genvid ...`, also under `accelerate launch -m genvid ...`."""
import sys

from .cli.main import main

sys.exit(main())
