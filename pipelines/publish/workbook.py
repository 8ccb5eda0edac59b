"""The accessible XLSX (gptables, following the Analysis Function's spreadsheet guidance)."""

from __future__ import annotations

import re
import warnings
from datetime import datetime
from pathlib import Path

import gptables as gpt
import pandas as pd
import polars as pl

from pipelines.publish.disclosure import SYMBOL_KEY
from pipelines.publish.tables import AREA_TYPE_NAMES

TABLE_COLUMNS = {
    "period": "Period",
    "geography_type": "Area type",
    "geography_code": "Area code",
    "geography_name": "Area name",
    "breakdown": "Breakdown",
    "breakdown_value": "Category",
    "numerator": "Numerator",
    "denominator": "Denominator",
    "value": "Value",
    "ci_low": "Lower 95% confidence limit",
    "ci_high": "Upper 95% confidence limit",
    "status": "Status",
}
UNIT_LABELS = {
    "percentage": "percentage",
    "rate_per_1000": "rate per 1,000",
    "rate_per_100": "rate per 100",
    "mean": "mean",
    "median_days": "median, days",
    "ratio": "ratio",
}
NUMERIC = ["Numerator", "Denominator", "Value", "Lower 95% confidence limit"]
NUMERIC += ["Upper 95% confidence limit"]


def workbook_rows(published: pl.DataFrame) -> pl.DataFrame:
    """The rows the workbook holds: each indicator's latest mature period of each period type,
    for England (every breakdown published) and each region (all people). Local authorities,
    prisons and regional breakdowns are in the CSV, the Parquet file and the area profiles
    (gptables writes about a row per millisecond, so the workbook stays a summary)."""
    latest = latest_periods(published, 1)
    return latest.filter(
        (pl.col("geography_type") == "england")
        | ((pl.col("geography_type") == "region") & (pl.col("breakdown") == "none"))
    )


def latest_periods(published: pl.DataFrame, keep: int) -> pl.DataFrame:
    """Rows of the latest ``keep`` mature periods of each indicator and period type."""
    mature = published.filter(pl.col("status") != "not_yet_mature")
    ranks = (
        mature.select("indicator_id", "period_type", "period")
        .unique()
        .with_columns(
            pl.col("period")
            .rank("dense", descending=True)
            .over("indicator_id", "period_type")
            .alias("_rank")
        )
        .filter(pl.col("_rank") <= keep)
        .drop("_rank")
    )
    return mature.join(ranks, on=["indicator_id", "period_type", "period"], how="semi")


def _cells(series: pd.Series) -> pd.Series:
    """Numbers as numbers (so spreadsheets can sort them), symbols as text."""

    def convert(text: str) -> object:
        try:
            number = float(text)
        except (TypeError, ValueError):
            return text
        return int(number) if number.is_integer() and "." not in text else number

    return series.map(convert).astype(object)


def _sheet_name(indicator_id: str, taken: dict) -> str:
    """Excel allows 31 characters: truncate, numbering any clash."""
    name, n = indicator_id[:31], 1
    while name in taken:
        n += 1
        name = f"{indicator_id[:28]}_{n}"
    return name


def _indicator_sheet(rows: pl.DataFrame, entry: dict) -> gpt.GPTable:
    table = rows.select(list(TABLE_COLUMNS)).rename(TABLE_COLUMNS).to_pandas()
    table["Area type"] = table["Area type"].map(AREA_TYPE_NAMES)
    for column in NUMERIC:
        table[column] = _cells(table[column])
    unit = UNIT_LABELS.get(entry["unit"], entry["unit"])
    proxy = " This indicator is a proxy: " + entry["proxy_reason"] if entry["is_proxy"] else ""
    return gpt.GPTable(
        table=table,
        table_name=re.sub(r"\W", "_", f"table_{entry['indicator_id']}"),
        title=f"{entry['indicator_id']}: {entry['indicator_name']}",
        subtitles=[
            f"Sub-outcome {entry['sub_outcome_id']}: {entry['sub_outcome_name']} "
            f"(primary outcome {entry['primary_outcome']}).",
            f"{entry['definition']}{proxy}",
            f"Value unit: {unit}. Latest mature period: {entry['maturity_period']}. "
            "The latest mature period of each period type for England (with its breakdowns) "
            "and each region; the CSV and Parquet files hold every area and the full history.",
            "Symbols: [c] confidential, [u] denominator below minimum, [x] not yet available, "
            "[z] not applicable (see the Symbols sheet).",
        ],
        instructions="This worksheet contains one table. Some cells contain symbols.",
        source=f"Source: {entry['sources'].replace(';', ', ')}",
        scope="England and regions",
    )


def write_workbook(
    path: Path,
    published: pl.DataFrame,
    catalogue: pl.DataFrame,
    release_month: str,
    extra_sheets: dict[str, gpt.GPTable] | None = None,
) -> None:
    """Write the release workbook (cover, contents, notes, symbols, one table per indicator).

    ``published`` is the formatted frame (:func:`pipelines.publish.tables.formatted`); the
    workbook's created date is fixed from the release month so the bytes are reproducible.
    """
    maturity = dict(
        published.group_by("indicator_id").agg(pl.col("maturity_period").max()).iter_rows()
    )
    sheets: dict[str, gpt.GPTable] = {}
    symbols = pd.DataFrame(
        {"Symbol": [*SYMBOL_KEY, "[z]"], "Meaning": [*SYMBOL_KEY.values(), "Not applicable"]}
    )
    sheets["Symbols"] = gpt.GPTable(
        table=symbols,
        table_name="symbol_key",
        title="Symbols used in this workbook",
        instructions="This worksheet contains one table.",
        source="Source: Analysis Function guidance on symbols in tables",
        scope="All tables",
    )
    published = workbook_rows(published)
    for entry in catalogue.sort("indicator_id").iter_rows(named=True):
        rows = published.filter(pl.col("indicator_id") == entry["indicator_id"])
        if rows.is_empty():
            continue
        entry = entry | {
            "unit": rows["unit"][0],
            "maturity_period": maturity[entry["indicator_id"]],
        }
        sheets[_sheet_name(entry["indicator_id"], sheets)] = _indicator_sheet(rows, entry)
    sheets.update(extra_sheets or {})
    cover = gpt.Cover(
        title=f"Drug treatment outcomes in prison and on release: release {release_month}",
        intro=[
            "Indicators of the Patel Report outcome model (2010) for people in prison and on "
            "release in England: the latest period for England (by sex, age band and ethnic "
            "group) and each region. Every period, local authority and prison is in "
            "indicators.csv and indicators.parquet, and in the area profiles.",
        ],
        about=[
            "Disclosure control: counts of 1 to 4 are shown as [c], with further cells "
            "withheld so that no [c] can be recovered from totals; those further cells are "
            "chosen below the totals, so England and regional totals are withheld only for "
            "their own small counts. Values are shown only where the denominator reaches each "
            "indicator's minimum.",
            "Periods whose follow-up is not yet complete are shown as [x].",
            "Proportions are shown as percentages.",
        ],
        contact=["Outcomes warehouse team"],
    )
    notes = pd.DataFrame(
        {
            "Note number": ["note 1", "note 2"],
            "Note text": [
                "Figures are from synthetic data generated for development.",
                "Definitions, sources and proxy status of each indicator are in metadata.json.",
            ],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        workbook = gpt.produce_workbook(
            filename=str(path),
            sheets=sheets,
            cover=cover,
            notes_table=notes,
            contentsheet_options={"additional_elements": ["subtitles"]},
            auto_width=False,
        )
    year, month = (int(x) for x in release_month.split("-"))
    workbook.set_properties(
        {
            "title": f"Drug treatment outcomes: release {release_month}",
            "author": "Outcomes warehouse",
            "created": datetime(year, month, 1),
        }
    )
    workbook.close()
