"""Render the prompt templates of this folder (Jinja, StrictUndefined: a missing variable is an error)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2


@cache
def environment() -> jinja2.Environment:
    """The one Jinja environment for prompts; no autoescape, since C source is not HTML."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
    )


def render(name: str, **variables: Any) -> str:
    """Render prompts/NAME with the variables given (C source goes in as a variable, never formatted in)."""
    return environment().get_template(name).render(**variables).strip()
