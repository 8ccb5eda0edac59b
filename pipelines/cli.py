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


@app.command()
def run(
    month: list[str] = typer.Option([], help="YYYY-MM; default every delivered month"),
) -> None:
    """Materialise the whole graph (ingest -> linkage -> dbt -> checks -> publication).

    Never generates data: with no deliveries under the landing folder it stops (exit 2) saying
    where it looked; `outcomes synth` or `make run` make synthetic ones.
    """
    from rich.console import Console

    from pipelines.ingest.landing import landing_months
    from pipelines.run_lock import RunLockedError, run_lock
    from pipelines.safeguards import DevelopmentKeyError, NoDeliveriesError, refuse_unsafe
    from pipelines.settings import get_settings

    console = Console()
    settings = get_settings()
    try:  # refusals first, before the slow imports (run_pipeline checks again)
        months = month or landing_months(settings.landing_dir)
        refuse_unsafe(settings.landing_dir, settings.pseudo_key, months)
        with run_lock(settings.warehouse):
            from pipelines.orchestration import run_pipeline
            from pipelines.transform.project import prepare_manifest

            prepare_manifest()
            outcome = run_pipeline(settings, months=months)
    except (NoDeliveriesError, DevelopmentKeyError, RunLockedError) as refusal:
        console.print(f"[red bold]Refused:[/] {refusal}", soft_wrap=True)
        raise typer.Exit(2) from None
    for warning in outcome.warnings:
        console.print(f"[yellow]warning[/] check {warning}")
    if not outcome.success:
        for failure in outcome.failed_steps + [f"check {c}" for c in outcome.failed_checks]:
            console.print(f"[red]failed[/] {failure}")
        console.print("[red bold]Run failed: nothing new was published.[/]")
        raise typer.Exit(1)
    console.print(
        f"[green bold]Run succeeded[/] for {outcome.months[0]}..{outcome.months[-1]}; "
        f"release: {outcome.release_dir}"
    )


@app.command()
def ingest(
    month: list[str] = typer.Option([], help="YYYY-MM; default every delivered month"),
    table: list[str] = typer.Option([], help="raw table, e.g. pnc_person; default all ten"),
) -> None:
    """Materialise only the ingest assets (landing -> raw, identity, ops) for a month range."""
    from pipelines.ingest.landing import landing_months
    from pipelines.ingest.materialise import failures, materialise_ingest
    from pipelines.safeguards import no_deliveries
    from pipelines.settings import get_settings

    months = month or landing_months(get_settings().landing_dir)
    if not months:
        raise typer.BadParameter(str(no_deliveries(get_settings().landing_dir)))
    result = materialise_ingest(months, tables=table or None)
    for failure in failures(result):
        logging.getLogger(__name__).error("failed: %s", failure)
    if not result.success:
        raise typer.Exit(1)


@app.command("contracts-doc")
def contracts_doc(
    path: Path = typer.Option(Path("docs/ingest.md"), help="Markdown file with the markers"),
) -> None:
    """Regenerate the contract tables in docs/ingest.md from pipelines/contracts/deliveries.py."""
    from pipelines.ingest.contracts_doc import update_doc

    changed = update_doc(path)
    logging.getLogger(__name__).info("%s %s", path, "updated" if changed else "already current")


@app.command("train-linkage")
def train_linkage(
    warehouse: Path | None = typer.Option(
        None, help="warehouse whose identity records to train on; default the configured one"
    ),
    out: Path | None = typer.Option(None, help="model folder; default pipelines/linkage/models"),
) -> None:
    """Re-estimate the two Splink models on the warehouse's identity records and save them."""
    import duckdb

    from pipelines.linkage.models import MODELS_DIR
    from pipelines.linkage.train import train
    from pipelines.settings import get_settings

    path = warehouse or Path(get_settings().warehouse)
    if not path.exists():
        raise typer.BadParameter(f"no warehouse at {path}: run `outcomes ingest` first")
    with duckdb.connect(str(path)) as con:
        month = con.execute("SELECT max(_delivery_month) FROM identity.person_records").fetchall()
        profiles = train(con, month[0][0], out or MODELS_DIR)
    logging.getLogger(__name__).info("trained on %s profiles -> %s", profiles, out or MODELS_DIR)


@app.command()
def query(
    sql: str | None = typer.Argument(None, help="SQL; several statements run in order"),
    file: Path | None = typer.Option(None, "--file", "-f", help="read the SQL from this file"),
    csv: bool = typer.Option(False, "--csv", help="print CSV (every row) instead of a table"),
    db: Path | None = typer.Option(None, help="database file; default the analyst snapshot"),
) -> None:
    """Query the analyst snapshot read-only (SQL from the argument, --file or standard input)."""
    import sys

    from rich.console import Console

    from pipelines.publish.snapshot_query import (
        QueryError,
        query_snapshot,
        render_csv,
        render_table,
    )
    from pipelines.settings import get_settings

    text = file.read_text(encoding="utf-8") if file else sql
    try:
        results = query_snapshot(db or Path(get_settings().snapshot), text or sys.stdin.read())
    except QueryError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    console = Console(width=max(Console().width, 160))
    for result in results:
        if not result.columns:
            continue
        if csv:
            typer.echo(render_csv(result), nl=False)
        else:
            console.print(render_table(result))


@app.command()
def serve(port: int = typer.Option(8000, help="port on 127.0.0.1")) -> None:
    """Serve the download site (every release under the publications folder) locally."""
    from pipelines.publish.site import make_server
    from pipelines.settings import get_settings

    root = Path(get_settings().publications_dir)
    if not (root / "index.html").exists():
        raise typer.BadParameter(f"no releases under {root}: run `outcomes run` first")
    server = make_server(root, port)
    logging.getLogger(__name__).info("serving %s at http://127.0.0.1:%d/", root, port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    app()
