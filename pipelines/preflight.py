"""What ``outcomes run`` checks before it starts: deliveries for the months asked for, a usable
pseudonymisation key, and output folders it can write.

Each refusal is a :class:`~pipelines.safeguards.RefusedError` whose message is one paragraph
naming the path or setting to change. Nothing here creates or changes a file.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from pipelines.ingest.landing import landing_months
from pipelines.partitions import MONTHLY
from pipelines.safeguards import RefusedError, check_key, no_deliveries
from pipelines.settings import Settings

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class MonthsError(RefusedError):
    """A month asked for is malformed, outside the partitions or has no delivery."""


class UnwritableError(RefusedError):
    """An output folder cannot be created or written."""


def check_run(settings: Settings, months: list[str] | None = None) -> list[str]:
    """Every refusal before a run, in order: months, key, output folders. Returns the months
    to run (default: every delivered month)."""
    months = check_months(Path(settings.landing_dir), months)
    check_key(settings.pseudo_key, settings.landing_dir)
    check_writable(output_folders(settings))
    return months


def check_months(landing_dir: Path, months: list[str] | None = None) -> list[str]:
    """The months to run, sorted: ``months`` if each has a delivery under ``landing_dir``, else
    every delivered month. Refuses malformed months, months with no delivery folder and months
    outside the partitions (from 2020-01 to the last complete month)."""
    delivered = landing_months(landing_dir)
    if not delivered:
        raise no_deliveries(landing_dir)
    if not months:
        months = delivered
    malformed = [m for m in months if not _MONTH.match(m)]
    if malformed:
        raise MonthsError(
            f"Not a month: {', '.join(malformed)}. Give months as YYYY-MM, e.g. --month "
            f"{delivered[-1]}."
        )
    missing = sorted(set(months) - set(delivered))
    if missing:
        raise MonthsError(
            f"No delivery for {', '.join(missing)} under the landing folder "
            f"{Path(landing_dir).absolute()} (no <source>/<YYYY-MM>/ folder for "
            f"{'it' if len(missing) == 1 else 'them'}). Delivered months: {_span(delivered)}. "
            "Run without --month for every delivered month, put the deliveries in "
            "<landing>/<source>/<YYYY-MM>/, or point OUTCOMES_LANDING_DIR at another folder. "
            "Nothing was changed."
        )
    partitions = set(MONTHLY.get_partition_keys())
    outside = sorted(set(months) - partitions)
    if outside:
        first, last = MONTHLY.get_first_partition_key(), MONTHLY.get_last_partition_key()
        raise MonthsError(
            f"Cannot run {', '.join(outside)}: months run from {first} to the last complete "
            f"month, {last}. Nothing was changed."
        )
    return sorted(set(months))


def _span(months: list[str]) -> str:
    if len(months) == 1:
        return months[0]
    return f"{months[0]} to {months[-1]} ({len(months)} months)"


def output_folders(settings: Settings) -> dict[str, Path]:
    """Every folder a run writes, by the setting that moves it."""
    warehouse = Path(settings.warehouse)
    return {
        "OUTCOMES_DATA_DIR": Path(settings.data_dir),
        "OUTCOMES_WAREHOUSE": warehouse.parent,
        "OUTCOMES_DUCKDB_TEMP_DIR": Path(settings.duckdb_temp_dir or warehouse.parent),
        "OUTCOMES_PUBLICATIONS_DIR": Path(settings.publications_dir),
        "OUTCOMES_SNAPSHOT": Path(settings.snapshot).parent,
        "OUTCOMES_GX_DOCS_DIR": Path(settings.gx_docs_dir),
        "OUTCOMES_DAGSTER_HOME": Path(settings.dagster_home),
    }


def check_writable(folders: dict[str, Path]) -> None:
    """Refuse when a folder (or, if it does not exist yet, its nearest existing parent) is not
    a folder or cannot be written: tried by creating and removing a file, which also catches
    read-only file systems and immutable folders that permission bits do not show."""
    problems: dict[str, list[str]] = {}
    for setting, folder in folders.items():
        problem = _unwritable(folder.absolute())
        if problem:
            problems.setdefault(problem, []).append(setting)
    if problems:
        found = "; ".join(f"{p} ({', '.join(s)})" for p, s in problems.items())
        raise UnwritableError(
            f"Cannot write the run's output: {found}. Make the "
            "folder writable for this user or point the named setting elsewhere. Nothing was "
            "changed."
        )


def _unwritable(folder: Path) -> str | None:
    """Why ``folder`` cannot be written, or ``None`` when it can."""
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a folder"
    try:
        fd, probe = tempfile.mkstemp(prefix=".outcomes-write-test-", dir=existing)
    except OSError as error:
        reason = error.strerror or str(error)
        where = folder if existing == folder else f"{existing} (to create {folder})"
        return f"{where}: {reason.lower()}"
    os.close(fd)
    os.unlink(probe)
    return None
