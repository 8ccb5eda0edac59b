"""The ``outcomes`` command line."""

from __future__ import annotations

import logging
from pathlib import Path

import typer
from rich.logging import RichHandler

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(show_path=False)],
    )


@app.command()
def synth(
    preset: str = typer.Option("demo", help="ci, demo or national"),
    people: int | None = typer.Option(None, help="override the preset's population"),
    months: int | None = typer.Option(None, help="override the preset's months"),
    seed: int = typer.Option(42),
    out: Path = typer.Option(Path("data"), help="writes <out>/landing and <out>/truth"),
) -> None:
    """Generate a synthetic population and the five source extracts."""
    from pipelines.synthetic.cli import synth_command

    synth_command(preset=preset, people=people, months=months, seed=seed, out=out)


if __name__ == "__main__":
    app()
