"""Prompt files from prompts/, rendered strictly: a missing or unknown variable is an error."""

from __future__ import annotations

import string
from pathlib import Path

from rag.errors import ConfigError


def render(prompts_dir: Path, name: str, **values: str) -> str:
    """Render prompts_dir/name with $variables; every variable must be given and used."""
    path = Path(prompts_dir) / name
    try:
        template = string.Template(path.read_text("utf-8"))
    except OSError:
        raise ConfigError(f"prompt file not found: {path}") from None
    wanted = set(template.get_identifiers())
    missing = wanted - values.keys()
    if missing:
        raise ConfigError(f"prompt {name} needs {', '.join(sorted(missing))}")
    unused = values.keys() - wanted
    if unused:
        raise ConfigError(f"prompt {name} has no ${', $'.join(sorted(unused))}")
    return template.substitute(values)
