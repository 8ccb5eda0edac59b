"""The compare-to-England flag (pipelines/publish/comparison.py) and the area profile pages and
CSVs written for a release."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from pipelines.catalogue import load_catalogue, normalise_catalogue
from pipelines.publish.comparison import with_england_comparison
from pipelines.publish.disclosure import apply_disclosure_control
from pipelines.publish.profiles import CSV_COLUMNS, write_profiles
from pipelines.publish.site import write_site_index
from pipelines.publish.tables import formatted, tidy_table
from tests.support.sample_indicators import (
    POLARITIES,
    sample_catalogue,
    sample_geography,
    sample_indicators,
)

MONTH = "2024-06"
#: Every compare-to-England flag, in the order of the profile pages' key.
FLAGS = ["Better", "Similar", "Worse", "Higher", "Lower", "Not compared"]


def _catalogue() -> pl.DataFrame:
    return normalise_catalogue(sample_catalogue())


@pytest.fixture(scope="module")
def published() -> pl.DataFrame:
    """Seed 3: its latest period has areas better, similar and worse than England on T01."""
    return apply_disclosure_control(sample_indicators(3), _catalogue(), sample_geography())


@pytest.fixture(scope="module")
def areas(tmp_path_factory, published) -> Path:
    folder = tmp_path_factory.mktemp("release")
    write_profiles(folder, published, _catalogue(), sample_geography(), MONTH)
    return folder / "areas"


def _read(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)


def _flag(ci: tuple, england: float | None, polarity: str) -> str:
    """The flag of one area row against one England row (indicator T01 given ``polarity``)."""
    key = {"indicator_id": "T01", "period_type": "month", "period": "2024-05"}
    key |= {"breakdown": "none", "breakdown_value": "All"}
    rows = pl.DataFrame(
        [
            key | {"geography_type": "england", "value": england, "ci_low": None, "ci_high": None},
            key | {"geography_type": "region", "value": 0.5, "ci_low": ci[0], "ci_high": ci[1]},
        ],
        schema_overrides={"value": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64},
    )
    catalogue = _catalogue().with_columns(pl.lit(polarity).alias("polarity"))
    flags = with_england_comparison(rows, catalogue)["compared_to_england"].to_list()
    assert flags[0] == ""  # England is not compared with itself
    return flags[1]


@pytest.mark.parametrize(
    ("ci", "england", "polarity", "flag"),
    [
        ((0.50, 0.60), 0.40, "higher", "Better"),
        ((0.50, 0.60), 0.40, "lower", "Worse"),
        ((0.10, 0.30), 0.40, "higher", "Worse"),
        ((0.10, 0.30), 0.40, "lower", "Better"),
        ((0.30, 0.50), 0.40, "higher", "Similar"),
        ((0.40, 0.50), 0.40, "higher", "Similar"),  # touching the England value is not apart
        ((0.30, 0.40), 0.40, "lower", "Similar"),
        ((0.50, 0.60), 0.40, "none", "Higher"),
        ((0.10, 0.30), 0.40, "none", "Lower"),
        ((0.30, 0.50), 0.40, "none", "Similar"),
        ((None, None), 0.40, "higher", "Not compared"),  # withheld or no interval
        ((0.50, 0.60), None, "higher", "Not compared"),  # England withheld
    ],
)
def test_flag_compares_the_interval_with_the_england_value(ci, england, polarity, flag):
    assert _flag(ci, england, polarity) == flag


@pytest.mark.parametrize("polarity", ["up", "", None])
def test_a_catalogue_without_a_valid_polarity_is_refused(polarity):
    catalogue = sample_catalogue().with_columns(
        pl.when(pl.col("indicator_id") == "T02")
        .then(pl.lit(polarity))
        .otherwise(pl.col("polarity"))
        .alias("polarity")
    )
    with pytest.raises(ValueError, match=r"without a valid polarity.*T02"):
        normalise_catalogue(catalogue)
    with pytest.raises(ValueError, match=r"without a valid polarity.*T02"):
        with_england_comparison(sample_indicators(1), catalogue)
    with pytest.raises(ValueError, match="no polarity column"):
        normalise_catalogue(sample_catalogue().drop("polarity"))


def test_every_catalogue_indicator_states_a_valid_polarity():
    catalogue = load_catalogue()  # refuses a missing or unknown polarity
    direction = dict(catalogue.select("indicator_id", "polarity").iter_rows())
    assert set(direction.values()) == {"higher", "lower", "none"}
    assert direction["so04_proven_reoffending_rate"] == "lower"
    assert direction["so05_continuity_of_care_21d"] == "higher"
    assert direction["so04_ogrs3_predicted_rate"] == "none"
    assert dict(_catalogue().select("indicator_id", "polarity").iter_rows()) == POLARITIES


def test_profiles_show_the_published_comparison_column(areas, published):
    """One rule: each profile row's flag is the tidy table's ``compared_to_england``."""
    tidy = tidy_table(published, _catalogue())
    keys = ["geography_code", "indicator_id", "period"]
    rows = pl.concat([_read(p) for p in sorted(areas.glob("*.csv"))]).select(
        *keys, "compared_to_england"
    )
    joined = rows.join(
        tidy.filter(pl.col("breakdown") == "none").select(*keys, "compared_to_england"),
        on=keys,
        how="left",
        suffix="_tidy",
    )
    assert joined.height == rows.height > 0
    assert joined["compared_to_england"].to_list() == joined["compared_to_england_tidy"].to_list()
    below = tidy.filter(pl.col("geography_type") != "england")
    assert set(below["compared_to_england"]) <= set(FLAGS)
    assert set(tidy.filter(pl.col("geography_type") == "england")["compared_to_england"]) == {""}
    t01 = below.filter(pl.col("indicator_id") == "T01")["compared_to_england"]
    assert {"Better", "Worse"} <= set(t01) and not {"Higher", "Lower"} & set(t01)


def test_a_page_and_csv_per_local_authority_and_prison(areas, published):
    expected = set(
        published.filter(pl.col("geography_type").is_in(["local_authority", "prison"]))[
            "geography_code"
        ]
    )
    assert len(expected) == 11
    assert {p.stem for p in areas.glob("*.csv")} == expected
    assert {p.stem for p in areas.glob("*.html")} == expected | {"index"}
    index = (areas / "index.html").read_text()
    script = (areas / "search.js").read_text()
    for code in expected:
        assert f'href="{code}.html"' in index and f'"{code}"' in script


def test_csv_rows_are_the_latest_published_row_with_england_and_the_flag(areas, published):
    shown = formatted(published, _catalogue())
    latest_mature = published.filter(pl.col("status") != "not_yet_mature")["period"].max()
    headline = pl.col("breakdown") == "none"
    flags = []
    for path in sorted(areas.glob("*.csv")):
        rows = _read(path)
        assert rows.columns == CSV_COLUMNS and set(rows["geography_code"]) == {path.stem}
        assert rows["indicator_id"].to_list() == ["T04", "T03", "T01", "T02"]  # by sub-outcome
        assert set(rows["period"]) == {latest_mature}
        for row in rows.iter_rows(named=True):
            key = headline & (pl.col("indicator_id") == row["indicator_id"])
            key &= pl.col("period") == row["period"]
            here, eng = pl.col("geography_code") == path.stem, pl.col("geography_type") == "england"
            area, england = (shown.filter(key & k).row(0, named=True) for k in (here, eng))
            for column in ("value", "ci_low", "ci_high", "numerator", "denominator"):
                assert (row[column] or "") == (area[column] or "")
            assert row["england_value"] == england["value"]
            a, e = (published.filter(key & k).row(0, named=True) for k in (here, eng))
            if a["ci_low"] is None or e["value"] is None:
                flag = "Not compared"
            elif a["ci_high"] < e["value"]:
                flag = {"higher": "Worse", "lower": "Better", "none": "Lower"}[row["polarity"]]
            elif a["ci_low"] > e["value"]:
                flag = {"higher": "Better", "lower": "Worse", "none": "Higher"}[row["polarity"]]
            else:
                flag = "Similar"
            assert row["compared_to_england"] == flag
            flags.append(flag)
    assert {"Better", "Similar", "Worse", "Not compared"} <= set(flags)


def test_withheld_area_values_show_their_symbol_and_are_not_compared(areas):
    rows = pl.concat([_read(p) for p in sorted(areas.glob("*.csv"))])
    withheld = rows.filter(pl.col("value").str.starts_with("["))
    assert withheld.height > 0
    assert set(withheld["compared_to_england"]) == {"Not compared"}
    assert set(withheld["value"]) <= {"[c]", "[u]"}
    compared = rows.filter(pl.col("compared_to_england") != "Not compared")
    assert set(compared["indicator_id"]) == {"T01"}  # the only indicator with intervals


def test_pages_are_accessible_static_and_label_every_flag(areas):
    page = (areas / "E08000012.html").read_text()
    assert '<html lang="en">' in page and "<caption>" in page
    assert '<th scope="col">Compared with England</th>' in page
    assert len(re.findall(r'<tr id="row-T0\d"><th scope="row">', page)) == 4
    legend = re.findall(r'<li><span class="flag (\w+)">([^<]+)</span>', page)
    assert [t for _, t in legend] == FLAGS
    cells = re.findall(r'<td class="compare"><span class="flag (\w+)">([^<]+)</span>', page)
    assert len(cells) == 4
    assert all(css == dict(legend and [(t, c) for c, t in legend])[text] for css, text in cells)
    assert page.count("<svg") == 4 and 'role="img" aria-label="Trend ' in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert '<a href="E08000012.csv" download>' in page
    index = (areas / "index.html").read_text()
    assert '<label for="area-query">' in index and 'src="search.js"' in index


def test_profiles_follow_the_period_types_and_areas_they_are_given(tmp_path, published):
    cohorts = published.filter(pl.col("indicator_id") == "T01").with_columns(
        pl.lit("release_cohort").alias("period_type"),
        ("cohort " + pl.col("period")).alias("period"),
    )
    subset = pl.concat([published, cohorts]).filter(pl.col("geography_type") != "prison")
    # Liverpool has no T02 row for the latest mature month (nobody in scope, say).
    gone = (pl.col("geography_code") == "E08000012") & (pl.col("indicator_id") == "T02")
    subset = subset.filter(~(gone & (pl.col("period") == "2024-05")))
    write_profiles(tmp_path, subset, _catalogue(), None, MONTH)
    assert not (tmp_path / "areas" / "DMI.html").exists()
    rows = _read(tmp_path / "areas" / "E08000012.csv")
    periods = dict(zip(rows["indicator_id"], rows["period"], strict=True))
    assert periods["T01"] == "cohort 2024-05" and periods["T02"] == "2024-04"
    assert periods["T03"] == "2024-05"
    page = (tmp_path / "areas" / "E08000012.html").read_text()
    assert page.count("no data for this area in later periods") == 1
    no_england = subset.filter(pl.col("geography_type") != "england")
    write_profiles(tmp_path / "bare", no_england, _catalogue(), None, MONTH)
    rows = _read(tmp_path / "bare" / "areas" / "E08000012.csv")
    assert set(rows["england_value"]) == {"[x]"}
    assert set(rows["compared_to_england"]) == {"Not compared"}
    write_profiles(tmp_path / "empty", published.clear(), _catalogue(), None, MONTH)
    assert "No area profiles" in (tmp_path / "empty" / "areas" / "index.html").read_text()


def test_profiles_are_byte_identical_for_the_same_inputs(tmp_path, published):
    trees = []
    for name in ("a", "b"):
        write_profiles(tmp_path / name, published, _catalogue(), sample_geography(), MONTH)
        folder = tmp_path / name / "areas"
        trees.append({p.name: p.read_bytes() for p in folder.iterdir()})
    assert trees[0] == trees[1]


def test_site_index_links_the_latest_profiles_and_search(tmp_path, published):
    for month in ("2024-05", MONTH):
        (tmp_path / month).mkdir()
        (tmp_path / month / "index.html").write_text("release")
    write_profiles(tmp_path / "2024-05", published, _catalogue(), None, "2024-05")
    write_site_index(tmp_path, pl.DataFrame())
    page = (tmp_path / "index.html").read_text()
    assert 'href="2024-05/areas/index.html"' in page  # the only release with profiles
    write_profiles(tmp_path / MONTH, published, _catalogue(), None, MONTH)
    write_site_index(tmp_path, pl.DataFrame())
    page = (tmp_path / "index.html").read_text()
    assert f'data-base="{MONTH}/areas/"' in page and f'src="{MONTH}/areas/search.js"' in page
