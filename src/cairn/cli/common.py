"""What every cairn command shares: Cairn's errors become a message on stderr and an exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import click

from cairn.errors import CairnError, CatalogError

__all__ = ["database_option", "fail_cleanly"]

P = ParamSpec("P")
R = TypeVar("R")


def fail_cleanly(func: Callable[P, R]) -> Callable[P, R]:
    """Turn Cairn's errors into a message on stderr (every problem of a catalogue) and the error's exit code."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except CatalogError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            click.echo(f"error: {exc.message}; nothing was stored", err=True)
            sys.exit(exc.exit_code)
        except CairnError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


database_option = click.option(
    "--database", metavar="URL", help="database URL (default: CAIRN_DATABASE_URL, else sqlite:///./cairn.db)"
)
