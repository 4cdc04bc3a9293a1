"""Prompt files from prompts/, rendered strictly: a missing or unknown variable is an error."""

from __future__ import annotations

import re
import string
from pathlib import Path

from rag.errors import ConfigError


def _template(prompts_dir: Path, name: str, values: dict[str, str]) -> string.Template:
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
    return template


def render(prompts_dir: Path, name: str, **values: str) -> str:
    """Render prompts_dir/name with $variables; every variable must be given and used."""
    return _template(prompts_dir, name, values).substitute(values)


_TURN = re.compile(r"^--- (user|assistant)[ \t]*$", re.M)


def render_messages(prompts_dir: Path, name: str, **values: str) -> list[dict[str, str]]:
    """Chat messages from a prompt file of turns: the text before the first `--- user` line
    is the system message, then each `--- user` / `--- assistant` line starts a turn. Small
    models follow worked examples given as earlier turns far better than examples quoted
    inside one message (the 1.5B test model copied a quoted example's answer). The file is
    split into turns before the values go in, so a value cannot open a turn of its own."""
    parts = _TURN.split(_template(prompts_dir, name, values).template)
    system, turns = parts[0].strip(), parts[1:]
    if not turns or turns[-2] != "user":
        raise ConfigError(f"prompt {name} must end with a '--- user' turn")
    messages = [{"role": "system", "content": system}] if system else []
    for role, content in zip(turns[::2], turns[1::2], strict=True):
        text = string.Template(content.strip()).substitute(values)
        messages.append({"role": role, "content": text})
    return messages
