"""Build a release folder ``publications/<YYYY-MM>/`` atomically.

Everything is written to a temporary folder beside the target and renamed into place only when
complete, so a failure never touches an existing release; a full disk is reported as such
(:class:`PublicationError`). A run killed between the two renames of a replacement leaves the old
release under ``.<month>.old-*``: the next publication puts it back before anything else
(:func:`recover`). Every file except ``metadata.json`` (which carries the run timestamp and id)
is byte-identical for the same inputs.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path

import polars as pl

from pipelines.publish import disclosure
from pipelines.publish.charts import write_charts
from pipelines.publish.comparison import with_england_comparison
from pipelines.publish.profiles import write_profiles
from pipelines.publish.revisions import read_log, record_revision
from pipelines.publish.scope import describe_scope, in_scope, load_scope
from pipelines.publish.scorecard import build_scorecard
from pipelines.publish.scorecard_definition import load_definition, resolve_weights
from pipelines.publish.scorecard_release import (
    area_sections,
    scorecard_metadata,
    scorecard_sheets,
    write_scorecard_files,
)
from pipelines.publish.site import write_release_page, write_site_index
from pipelines.publish.tables import formatted, tidy_table, write_tidy_csv
from pipelines.publish.workbook import latest_periods, workbook_rows, write_workbook

log = logging.getLogger(__name__)

TIDY_CSV = "indicators.csv"
PARQUET = "indicators.parquet"
WORKBOOK = "indicators.xlsx"
METADATA = "metadata.json"
CHARTS = "charts"
REVISION_LOG = "revisions.csv"


@dataclass
class ReleaseInputs:
    """Everything a release is built from (``scope``: the rules of
    ``seeds/publication_scope.csv`` unless given)."""

    month: str
    indicators: pl.DataFrame
    catalogue: pl.DataFrame
    geography: pl.DataFrame | None = None
    manifest: list[dict] = field(default_factory=list)
    run_config: dict = field(default_factory=dict)
    generated_at: str = ""
    scope: pl.DataFrame = field(default_factory=load_scope)
    #: case-mix strata of the scored indicators (``main_marts.fct_scorecard_strata``)
    strata: pl.DataFrame | None = None
    #: a commissioner's weights file (docs/scorecard.md); the seed's weights when empty
    scorecard_weights: str = ""


def code_version() -> str:
    """``git describe`` of the working tree when available, else the package version."""
    root = Path(__file__).resolve().parents[2]
    try:
        result = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return result.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return importlib_metadata.version("outcomes-warehouse")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _frame_checksum(frame: pl.DataFrame) -> str:
    """SHA-256 of the rows as CSV in key order (independent of the order they were read in)."""
    ordered = frame.sort(disclosure.KEY, nulls_last=True)
    return hashlib.sha256(ordered.write_csv().encode()).hexdigest()


#: Why a headline is not published, by symbol (stated per indicator in metadata.json).
HEADLINE_REASONS = {
    "": "published",
    disclosure.CONFIDENTIAL: "withheld: its own count is 1 to 4",
    disclosure.LOW_DENOMINATOR: "value not shown: its denominator is below the minimum",
}


def england_headlines(tidy: pl.DataFrame) -> dict[str, list[dict]]:
    """Per indicator, England's headline (as published in the tidy table) in the latest mature
    period of each period type, with the reason when it is not published (disclosure control
    never withholds it for others)."""
    rows = latest_periods(
        tidy.filter((pl.col("geography_type") == "england") & (pl.col("breakdown") == "none")),
        1,
    ).sort("indicator_id", "period_type")
    out: dict[str, list[dict]] = {}
    for r in rows.iter_rows(named=True):
        out.setdefault(r["indicator_id"], []).append(
            {
                "period_type": r["period_type"],
                "period": r["period"],
                "value": r["value"],
                "unit": r["unit"],
                "status": HEADLINE_REASONS.get(r["symbol"], r["symbol"]),
            }
        )
    return out


def _metadata(
    inputs: ReleaseInputs,
    published: pl.DataFrame,
    tidy: pl.DataFrame,
    folder: Path,
    scorecard: dict | None = None,
) -> dict:
    maturity = dict(
        published.group_by("indicator_id").agg(pl.col("maturity_period").max()).iter_rows()
    )
    headlines = england_headlines(tidy)
    indicators = []
    for entry in inputs.catalogue.sort("indicator_id").iter_rows(named=True):
        limitations = []
        if entry["is_proxy"]:
            limitations.append(f"Proxy measure: {entry['proxy_reason']}")
        indicators.append(
            {
                "indicator_id": entry["indicator_id"],
                "indicator_name": entry["indicator_name"],
                "sub_outcome_id": entry["sub_outcome_id"],
                "sub_outcome_name": entry["sub_outcome_name"],
                "primary_outcome": entry["primary_outcome"],
                "definition": entry["definition"],
                "numerator": entry["numerator_definition"],
                "denominator": entry["denominator_definition"],
                "unit": entry["unit"],
                "sources": [s for s in entry["sources"].split(";") if s],
                "is_proxy": bool(entry["is_proxy"]),
                "proxy_reason": entry["proxy_reason"],
                "known_limitations": limitations,
                "evidence_codes": [s for s in entry["evidence_codes"].split(";") if s],
                "service_user_themes": [s for s in entry["service_user_themes"].split(";") if s],
                "min_denominator": entry["min_denominator"] or disclosure.DEFAULT_MIN_DENOMINATOR,
                "maturity_period": maturity.get(entry["indicator_id"]),
                "published": entry["indicator_id"] in maturity,
                "england_headline": headlines.get(entry["indicator_id"], []),
            }
        )
    files = {
        p.relative_to(folder).as_posix(): sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != METADATA
    }
    counts = published.group_by("symbol").len().sort("symbol")
    return {
        "release": inputs.month,
        "generated_at": inputs.generated_at,
        "code_version": code_version(),
        "run_configuration": inputs.run_config,
        "inputs": {
            "indicator_rows_sha256": _frame_checksum(inputs.indicators),
            "manifest": inputs.manifest,
        },
        "scope": describe_scope(inputs.scope, inputs.catalogue["indicator_id"].to_list()),
        "disclosure_control": {
            "primary": "counts of 1 to 4 withheld",
            "secondary": "complementary cells withheld so no withheld cell is recoverable "
            "from breakdown or area totals; complements are chosen below the totals, so "
            "England and region totals are withheld only for their own counts",
            "default_min_denominator": disclosure.DEFAULT_MIN_DENOMINATOR,
            "symbols": disclosure.SYMBOL_KEY | {"[z]": "Not applicable"},
            "rows_by_symbol": {(k or "published"): v for k, v in counts.iter_rows()},
            "published_share": disclosure.published_share(published).to_dicts(),
        },
        "indicators": indicators,
        "scorecard": scorecard or {},
        "files": files,
    }


def build_release_files(folder: Path, inputs: ReleaseInputs) -> pl.DataFrame:
    """Write every release file into ``folder``; return the tidy table."""
    published = disclosure.apply_disclosure_control(
        in_scope(inputs.indicators, inputs.scope), inputs.catalogue, inputs.geography
    )
    published = with_england_comparison(published, inputs.catalogue)
    definition = load_definition()
    weights = resolve_weights(inputs.scorecard_weights, definition)
    card = build_scorecard(published, inputs.strata, definition, weights)
    write_profiles(
        folder,
        published,
        inputs.catalogue,
        inputs.geography,
        inputs.month,
        sections=area_sections(card, inputs.catalogue),
    )
    write_scorecard_files(folder, card)
    tidy = tidy_table(published, inputs.catalogue)
    write_tidy_csv(tidy, folder / TIDY_CSV)
    tidy.write_parquet(folder / PARQUET, compression="zstd", statistics=False)
    write_workbook(
        folder / WORKBOOK,
        formatted(workbook_rows(published), inputs.catalogue),
        inputs.catalogue,
        inputs.month,
        extra_sheets=scorecard_sheets(card),
    )
    charts = write_charts(folder / CHARTS, published, inputs.catalogue)
    write_release_page(folder, inputs.month, published, inputs.catalogue, charts)
    meta = _metadata(inputs, published, tidy, folder, scorecard_metadata(card, definition))
    (folder / METADATA).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return tidy


class PublicationError(RuntimeError):
    """A release could not be written (e.g. a full disk); the previous release is intact."""


def _disk_full(error: BaseException) -> bool:
    """True for "no space left" however the writing library reports it."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(error)
    return "No space left on device" in text or "os error 28" in text


def folder_bytes(folder: Path) -> int:
    """Total size of the files under ``folder`` (0 when missing)."""
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def disk_full_error(publications_dir: Path, month: str, tmp: Path) -> PublicationError:
    """What a full disk during a publication did and did not do, with the space figures."""
    free = shutil.disk_usage(publications_dir).free
    last = next(iter(sorted(publications_dir.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]"))[-1:]), None)
    need = (
        f"; the last release ({last.name}) takes {folder_bytes(last):,} bytes"
        if last is not None
        else ""
    )
    previous = publications_dir / month
    kept = f"the previous release {previous} is unchanged" if previous.exists() else "no release"
    return PublicationError(
        f"Disk full while writing release {month} under {publications_dir.absolute()} "
        f"(temporary folder {tmp.name}, removed): {free:,} bytes free on that filesystem"
        f"{need}. Nothing was published: {kept}. Free space there and run again."
    )


def recover(publications_dir: Path, month: str) -> None:
    """Undo what a killed publication of ``month`` left behind: put back a release that was
    moved aside for a replacement that never arrived, and remove unfinished folders."""
    target = publications_dir / month
    retired = sorted(publications_dir.glob(f".{month}.old-*"))
    if retired and not target.exists():
        os.rename(retired.pop(), target)
        log.warning("restored release %s left aside by an interrupted publication", target)
    for leftover in retired + sorted(publications_dir.glob(f".{month}.tmp-*")):
        shutil.rmtree(leftover, ignore_errors=True)


def publish_release(publications_dir: Path, inputs: ReleaseInputs) -> Path:
    """Build ``<publications_dir>/<month>/`` in a temporary folder, then rename it into place.

    When the month was already published, the changed cells are appended to
    ``revisions.csv`` with ``run_config['revision_reason']``.
    """
    publications_dir = Path(publications_dir)
    publications_dir.mkdir(parents=True, exist_ok=True)
    recover(publications_dir, inputs.month)
    target = publications_dir / inputs.month
    token = uuid.uuid4().hex[:8]
    tmp = publications_dir / f".{inputs.month}.tmp-{token}"
    try:
        tmp.mkdir()
        tidy = build_release_files(tmp, inputs)
    except BaseException as error:
        shutil.rmtree(tmp, ignore_errors=True)
        if _disk_full(error):
            raise disk_full_error(publications_dir, inputs.month, tmp) from error
        raise
    old_tidy = None
    if target.exists():
        old_tidy = pl.read_csv(target / TIDY_CSV, infer_schema=False)
        retired = publications_dir / f".{inputs.month}.old-{token}"
        os.rename(target, retired)
        os.rename(tmp, target)
        shutil.rmtree(retired)
    else:
        os.rename(tmp, target)
    try:
        if old_tidy is not None:
            reason = str(inputs.run_config.get("revision_reason", ""))
            new_tidy = pl.read_csv(target / TIDY_CSV, infer_schema=False)
            changed = record_revision(
                publications_dir / REVISION_LOG, inputs.month, old_tidy, new_tidy, reason
            )
            log.info("republished %s: %d cells revised", inputs.month, changed)
        write_site_index(publications_dir, read_log(publications_dir / REVISION_LOG))
    except BaseException as error:
        if _disk_full(error):
            raise PublicationError(
                f"Disk full after release {target} was put in place: the revision log and site "
                f"index under {publications_dir.absolute()} were not updated. Free space there "
                "and run again."
            ) from error
        raise
    del tidy
    log.info("published %s", target)
    return target
