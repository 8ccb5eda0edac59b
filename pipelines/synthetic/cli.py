"""``outcomes synth``: generate with a progress bar and print a one-screen summary."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipelines.synthetic.generate import SynthResult, generate


def summary_table(result: SynthResult) -> Table:
    """Rows per delivered table and the calibration figures against their targets."""
    table = Table(title=f"Synthetic {result.preset.name} (seed {result.seed})", show_lines=False)
    table.add_column("item")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_column("", justify="center")
    for name, rows in result.rows.items():
        table.add_row(f"rows {name}", f"{rows:,}", "", "")
    for m in result.calibration["metrics"].values():
        unit = "%" if m["unit"] == "%" else ""
        ok = "[green]ok[/]" if m["within_target"] else "[yellow]off[/]"
        table.add_row(
            m["metric"],
            f"{m['value']:,.4g}{unit}",
            f"{m['target_low']:,.4g}-{m['target_high']:,.4g}{unit}",
            ok,
        )
    return table


def synth_command(
    preset: str, people: int | None, months: int | None, seed: int, out: Path
) -> SynthResult:
    """Run :func:`generate` with a rich progress bar, then print the summary."""
    console = Console()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=1.0)

        def update(stage: str, done: float) -> None:
            bar.update(task, description=stage, completed=done)

        result = generate(
            Path(out), preset=preset, seed=seed, people=people, months=months, progress=update
        )
    console.print(summary_table(result))
    console.print(
        f"Wrote {result.files} files under {result.landing} and truth under {result.truth} "
        f"in {result.seconds:.1f}s; calibration: {result.calibration_md}"
    )
    return result
