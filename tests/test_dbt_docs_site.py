"""The run's dbt docs in the download site: one static page, linked from the index, no data."""

from __future__ import annotations

import itertools
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import polars as pl

from pipelines.asset_keys import DBT_DOCS_FILE
from tests.support.source_ids import TOKEN, delivered_record_ids

#: Catalog column fields: name, type, position and comment (no value, count or statistic).
COLUMN_FIELDS = {"name", "type", "index", "comment"}


class Links(HTMLParser):
    """``<a>`` elements of a page as (id, href)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str | None, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            found = dict(attrs)
            self.links.append((found.get("id"), found.get("href")))


def embedded(page: str, label: str) -> dict:
    """The JSON artifact (``manifest`` or ``catalog``) dbt embeds in its static page."""
    start = page.index(f"{label}:{{") + len(label) + 1
    return json.JSONDecoder().raw_decode(page, start)[0]


def test_site_index_links_the_dbt_docs_of_the_run(ci_warehouse: Path) -> None:
    """After a full run the site's root holds the dbt docs page, and the index links to it."""
    site = ci_warehouse / "publications"
    parser = Links()
    parser.feed((site / "index.html").read_text())
    hrefs = [href for link_id, href in parser.links if link_id == "dbt-docs-link"]
    assert hrefs == [DBT_DOCS_FILE]
    page = (site / hrefs[0]).read_text()
    manifest, catalog = embedded(page, "manifest"), embedded(page, "catalog")
    assert "model.outcomes.fct_indicators" in manifest["nodes"]
    assert "model.outcomes.fct_indicators" in catalog["nodes"]
    # every model's compiled SQL, from the run's own build (docs generate --no-compile)
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert len(models) > 40 and all(n["compiled_code"] for n in models)
    # the page loads dbt's usage tracker only when this is true (dbt_project.yml flags)
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False


def test_dbt_docs_hold_no_data_and_no_identifier(ci_warehouse: Path, ci_synth: Path) -> None:
    """The catalog has names, types and comments only (no statistic), and the page holds no name,
    date of birth or source record id of the deliveries."""
    page = (ci_warehouse / "publications" / DBT_DOCS_FILE).read_text()
    catalog = embedded(page, "catalog")
    relations = [*catalog["nodes"].values(), *catalog["sources"].values()]
    assert len(relations) > 60
    assert {k for r in relations for k in r["stats"]} == {"has_stats"}
    assert not any(r["stats"]["has_stats"]["value"] for r in relations)
    assert {k for r in relations for c in r["columns"].values() for k in c} == COLUMN_FIELDS
    assert "identity" not in {r["metadata"]["schema"] for r in relations}

    people = pl.read_parquet(ci_synth / "truth" / "people.parquet")
    names = {f"{f} {s}".upper() for f, s in people.select("forename", "surname").iter_rows()}
    dobs = {str(d) for d in people["dob"]}
    assert len(names) > 1000 and len(dobs) > 1000
    words = re.findall(r"[A-Z'-]+", page.upper())
    assert {f"{a} {b}" for a, b in itertools.pairwise(words)} & names == set()
    assert set(re.findall(r"\d{4}-\d{2}-\d{2}", page)) & dobs == set()
    ids = delivered_record_ids(ci_synth / "landing")
    assert len(ids) > 1000
    assert set(re.findall(TOKEN, page.upper())) & ids == set()
