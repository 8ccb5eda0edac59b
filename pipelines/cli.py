"""The outcomes command line."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.text import Text

from pipelines.contracts.deliveries import CONTRACTS

if TYPE_CHECKING:
    from pipelines.orchestration import RunOutcome
    from pipelines.run_report import Cause
    from pipelines.settings import Settings

T = TypeVar("T")

HELP = (
    "The outcomes warehouse: generate synthetic deliveries, run the pipeline on the landing "
    "folder, open the Dagster UI on the same instance, and serve the published releases. "
    "Settings are OUTCOMES_* environment variables (see docs/running.md)."
)

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help=HELP,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

#: Simulator presets (``pipelines.synthetic.presets.PRESETS``; not imported here, it loads the
#: whole simulator), for ``--preset``.
Preset = Enum("Preset", {name: name for name in ("ci", "demo", "national")}, type=str)
#: Raw tables (one per delivered file type), for ``--table``.
Table = Enum("Table", {name: name for name in CONTRACTS}, type=str)

MONTH_HELP = (
    "Delivery month YYYY-MM (repeat for several); default every month in the landing folder."
)
REPO = Path(__file__).resolve().parents[1]


@app.callback()
def _main(
    ctx: typer.Context,
    verbose: bool = typer.Option(
        False,
        "--verbose",
        "-v",
        help="Show the full log (Dagster events, dbt, warnings) in the terminal as it is "
        "written. Without it, run and ingest keep it in a file under the data folder's logs/.",
    ),
) -> None:
    ctx.obj = {"verbose": verbose}
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(show_path=False)],
    )


def _refuse(console: Console, error: Exception) -> typer.Exit:
    """Print a refusal as one paragraph; the caller raises the returned exit (code 2)."""
    console.print(Text.assemble(("Refused: ", "bold red"), str(error)), soft_wrap=True)
    return typer.Exit(2)


@app.command()
def synth(
    preset: Preset = typer.Option(
        "demo",
        help="Population and months: ci (8,000 people, 24 months), demo (40,000, 48), "
        "national (1,000,000, 60).",
    ),
    people: int | None = typer.Option(None, help="Override the preset's population."),
    months: int | None = typer.Option(None, help="Override the preset's number of months."),
    seed: int = typer.Option(42, help="Random seed: the same arguments give identical files."),
    out: Path = typer.Option(Path("data"), help="Writes OUT/landing and OUT/truth."),
) -> None:
    """Generate a synthetic population and the five source extracts."""
    from pipelines.synthetic.cli import synth_command

    try:
        synth_command(preset=preset.value, people=people, months=months, seed=seed, out=out)
    except FileExistsError as error:
        raise _refuse(Console(stderr=True), error) from None


@app.command()
def run(
    ctx: typer.Context,
    month: list[str] = typer.Option([], help=MONTH_HELP),
    scorecard_weights: Path | None = typer.Option(
        None,
        "--scorecard-weights",
        help="CSV of sub_outcome_id,weight replacing the scorecard's default weights "
        "(docs/scorecard.md); checked before the run starts.",
    ),
) -> None:
    """Run the whole graph: ingest, linkage, dbt, quality gate, publication, analyst snapshot.

    Checks first that each month has a delivery, the pseudonymisation key is usable and every
    output folder is writable, and refuses (exit 2) saying what to change. Never generates
    data: outcomes synth or make run make synthetic deliveries. Exit 1 when a step or blocking
    check fails (nothing new is published), with the cause and the path of the full log.
    """
    from pipelines.preflight import check_run
    from pipelines.run_lock import RunLockedError, run_lock
    from pipelines.safeguards import RefusedError
    from pipelines.settings import get_settings

    console = Console()
    settings = get_settings()
    run_config = _scorecard_config(console, scorecard_weights)
    try:  # refusals first, before the slow imports (run_pipeline checks again)
        months = check_run(settings, month)
        with run_lock(settings.warehouse):
            landing = Path(settings.landing_dir).absolute()
            console.print(f"Running {len(months)} delivered month(s) from {landing}")
            _note_other_dagster_home(console, settings)
            outcome, log = _logged(
                ctx, "run", settings, lambda: _run_pipeline(settings, months, run_config)
            )
    except (RefusedError, RunLockedError) as refusal:
        raise _refuse(console, refusal) from None
    for line in _report(outcome, log, settings):
        console.print(line, soft_wrap=True)
    if not outcome.success:
        raise typer.Exit(1)


def _scorecard_config(console: Console, weights: Path | None) -> dict | None:
    """Run configuration passing a commissioner's weights file to the release (validated
    here, so a bad file stops the run before it starts: exit 2 naming file, line and field)."""
    if weights is None:
        return None
    from pipelines.publish.scorecard_definition import (
        WeightsFileError,
        load_definition,
        read_weights,
    )

    try:
        read_weights(weights, load_definition())
    except WeightsFileError as error:
        console.print(Text.assemble(("Refused: ", "bold red"), str(error)), soft_wrap=True)
        raise typer.Exit(2) from None
    config = {"config": {"scorecard_weights": str(weights.absolute())}}
    return {"ops": {"publication__release": config}}


def _run_pipeline(settings: Settings, months: list[str], run_config: dict | None = None):
    from pipelines.orchestration import run_pipeline
    from pipelines.transform.project import prepare_manifest

    prepare_manifest()
    return run_pipeline(settings, months=months, run_config=run_config)


def _logged(ctx: typer.Context, command: str, settings: Settings, work: Callable[[], T]):
    """``work()`` with the process's output in a new log file under the data folder's logs/;
    returns its result and the log's path. An unexpected error ends the command (exit 1) with
    its message and where it was raised; the traceback is in the log."""
    from pipelines.run_log import capture, log_path

    log = log_path(settings.logs_dir, command)
    Console().print(f"Full log: {log}", soft_wrap=True)
    with capture(log, verbose=ctx.obj["verbose"]) as terminal:
        if not ctx.obj["verbose"]:
            _progress_to(terminal)
        try:
            return work(), log
        except Exception as error:
            logging.getLogger(__name__).exception("%s stopped", command)
            _unexpected(terminal, command, error, log)
            raise typer.Exit(1) from None


def _progress_to(terminal: Console) -> None:
    """Show the run's own stage messages (not Dagster's) on the terminal."""
    handler = logging.StreamHandler(terminal.file)
    handler.setLevel(logging.INFO)
    handler.addFilter(lambda record: record.name == "pipelines.orchestration")
    logging.getLogger().addHandler(handler)


def _unexpected(terminal: Console, command: str, error: Exception, log: Path) -> None:
    frame = traceback.extract_tb(error.__traceback__)[-1]
    where = Path(frame.filename)
    where = where.relative_to(REPO) if where.is_relative_to(REPO) else where
    message = f"{type(error).__name__}: {error}"
    terminal.print(Text.assemble((f"{command} stopped: ", "bold red"), message), soft_wrap=True)
    terminal.print(f"  raised at {where}:{frame.lineno}; traceback in {log}", soft_wrap=True)


def _note_other_dagster_home(console: Console, settings: Settings) -> None:
    """Say so when an exported DAGSTER_HOME is not the instance this command records into."""
    exported = os.environ.get("DAGSTER_HOME")
    home = Path(settings.dagster_home).absolute()
    if exported and Path(exported).absolute() != home:
        console.print(
            f"Note: DAGSTER_HOME={exported} is ignored; runs are recorded in {home} "
            "(OUTCOMES_DAGSTER_HOME). outcomes ui opens that instance.",
            soft_wrap=True,
        )


def _report(outcome: RunOutcome, log: Path, settings: Settings) -> list[Text | str]:
    """The run's last lines: success and the release, or the root causes of the failure."""
    lines: list[Text | str] = []
    if outcome.warnings:
        shown = ", ".join(outcome.warnings[:3])
        more = f" and {len(outcome.warnings) - 3} more" if len(outcome.warnings) > 3 else ""
        lines.append(Text(f"Warnings (not blocking) from checks {shown}{more}.", "yellow"))
    if outcome.success:
        lines.append(
            Text.assemble(
                ("Run succeeded", "bold green"),
                f" for {outcome.months[0]}..{outcome.months[-1]}; release: {outcome.release_dir}",
            )
        )
    else:
        lines.append(Text("Run failed: nothing new was published.", "bold red"))
        lines += _cause_lines(outcome.causes)
    lines.append(f"Full log: {log}")
    lines.append(_history(settings))
    return lines


def _history(settings: Settings) -> str:
    home = Path(settings.dagster_home).absolute()
    return f"Runs and check results: outcomes ui (Dagster instance {home})"


def _cause_lines(causes: list[Cause], limit: int = 5) -> list[str]:
    lines = [f"  {cause.line()}" for cause in causes[:limit]]
    if len(causes) > limit:
        lines.append(f"  ... and {len(causes) - limit} more (see the log)")
    return lines or ["  (no failed step or check recorded: see the log)"]


@app.command()
def ingest(
    ctx: typer.Context,
    month: list[str] = typer.Option([], help=MONTH_HELP),
    table: list[Table] = typer.Option(
        [], help="Raw table to load (repeat for several); default all ten."
    ),
) -> None:
    """Load deliveries only: landing files into the raw, identity and ops schemas, with checks."""
    from pipelines.preflight import check_run
    from pipelines.run_lock import RunLockedError, run_lock
    from pipelines.safeguards import RefusedError
    from pipelines.settings import get_settings

    console = Console()
    settings = get_settings()
    try:
        months = check_run(settings, month)
        with run_lock(settings.warehouse):
            console.print(f"Loading {months[0]}..{months[-1]}")
            result, log = _logged(ctx, "ingest", settings, lambda: _ingest(settings, months, table))
    except (RefusedError, RunLockedError) as refusal:
        raise _refuse(console, refusal) from None
    from pipelines.run_report import causes

    if result.success:
        console.print(Text("Ingest succeeded.", "bold green"))
    else:
        console.print(Text("Ingest failed.", "bold red"))
        for line in _cause_lines(causes(result)):
            console.print(line, soft_wrap=True)
    console.print(f"Full log: {log}", soft_wrap=True)
    console.print(_history(settings), soft_wrap=True)
    if not result.success:
        raise typer.Exit(1)


def _ingest(settings: Settings, months: list[str], tables: list[Table]):
    from pipelines.ingest.materialise import materialise_ingest
    from pipelines.instance import open_instance

    return materialise_ingest(
        months,
        tables=[t.value for t in tables] or None,
        instance=open_instance(settings.dagster_home),
    )


@app.command()
def ui(
    port: int = typer.Option(3000, help="Port of the Dagster UI."),
    host: str = typer.Option("127.0.0.1", help="Address the UI listens on."),
) -> None:
    """Start the Dagster UI (dagster dev: webserver and daemon) on the project's instance.

    The UI shows every run and check result of outcomes run and outcomes ingest, and keeps
    the monthly schedule's state, because all of them use OUTCOMES_DAGSTER_HOME (default
    dagster_home under the data folder). The UI's runs get this command's settings (paths made
    absolute), so they use the same folders and key as the command line.
    """
    from pipelines.instance import ensure_home
    from pipelines.orchestration import PLANNED_EVENTS_AS_SUBSET
    from pipelines.settings import get_settings

    settings = get_settings()
    home = ensure_home(settings.dagster_home)
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        **ui_environment(settings),
        "DAGSTER_HOME": str(home),
        PLANNED_EVENTS_AS_SUBSET: "true",
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",  # this environment's dbt
    }
    dagster = bin_dir / "dagster"
    argv = [str(dagster), "dev", "-w", str(REPO / "workspace.yaml"), "-p", str(port), "-h", host]
    Console().print(f"Dagster instance: {home}", soft_wrap=True)
    # dagster dev loads a .env from its working folder over the environment (the repository's
    # would put back the development key): start it in the instance folder, which has none
    os.chdir(home)
    os.execve(dagster, argv, env)


def ui_environment(settings: Settings) -> dict[str, str]:
    """Every setting as an ``OUTCOMES_*`` variable, paths absolute, for the UI's processes."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is not None:
            value = Path(value).absolute() if isinstance(value, Path) else value
            env[f"OUTCOMES_{name.upper()}"] = str(value)
    return env


@app.command("contracts-doc")
def contracts_doc(
    path: Path = typer.Option(Path("docs/ingest.md"), help="Markdown file with the markers."),
) -> None:
    """Regenerate the contract tables in docs/ingest.md from pipelines/contracts/deliveries.py."""
    from pipelines.ingest.contracts_doc import update_doc

    changed = update_doc(path)
    logging.getLogger(__name__).info("%s %s", path, "updated" if changed else "already current")


@app.command("train-linkage")
def train_linkage(
    warehouse: Path | None = typer.Option(
        None, help="Warehouse whose identity records to train on; default the configured one."
    ),
    out: Path | None = typer.Option(None, help="Model folder; default pipelines/linkage/models."),
) -> None:
    """Re-estimate the two Splink models on the warehouse's identity records and save them."""
    import duckdb

    from pipelines.linkage.models import MODELS_DIR
    from pipelines.linkage.train import train
    from pipelines.settings import get_settings

    path = warehouse or Path(get_settings().warehouse)
    if not path.exists():
        raise typer.BadParameter(f"no warehouse at {path}: run outcomes ingest first")
    with duckdb.connect(str(path)) as con:
        month = con.execute("SELECT max(_delivery_month) FROM identity.person_records").fetchall()
        profiles = train(con, month[0][0], out or MODELS_DIR)
    logging.getLogger(__name__).info("trained on %s profiles -> %s", profiles, out or MODELS_DIR)


@app.command()
def query(
    sql: str | None = typer.Argument(None, help="SQL to run; several statements run in order."),
    file: Path | None = typer.Option(None, "--file", "-f", help="Read the SQL from this file."),
    csv: bool = typer.Option(False, "--csv", help="Print CSV (every row) instead of a table."),
    db: Path | None = typer.Option(None, help="Database file (default: the analyst snapshot)."),
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
def serve(port: int = typer.Option(8000, help="Port on 127.0.0.1.")) -> None:
    """Serve the download site (every release under the publications folder) locally."""
    from pipelines.publish.site import make_server
    from pipelines.settings import get_settings

    root = Path(get_settings().publications_dir)
    if not (root / "index.html").exists():
        raise typer.BadParameter(f"no releases under {root}: run outcomes run first")
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
