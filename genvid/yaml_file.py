"""Reading the YAML files users write (recipes, batch jobs) with one-line errors."""
from __future__ import annotations

from pathlib import Path

import yaml

from .errors import GenvidError


def read_yaml(path: str | Path, kind: str):
    """The parsed file (an empty file gives {}); `kind` names it in errors, e.g. 'recipe'."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text()) or {}
    except OSError as e:
        raise GenvidError(f"cannot read {kind} {path}: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise GenvidError(f"{kind} {path} is not valid YAML: {str(e).splitlines()[0]}") from None
