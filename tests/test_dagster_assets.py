"""Dagster polish: owners and groups on every asset, descriptions that render as markdown, row
counts on dbt materialisations."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.asset_keys import DBT_DOCS_KEY, GROUP_OWNERS
from pipelines.resources import WarehouseResource
from pipelines.transform.assets import markdown_safe
from pipelines.transform.project import dbt_project

#: Fenced blocks and code spans, where markdown shows ``<...>`` as written.
CODE = re.compile(r"```.*?```|(`+)[^`]*?\1", re.S)
#: What markdown would take for an HTML tag and not show: ``<YYYY-MM>``, ``<table>``...
TAG = re.compile(r"<[A-Za-z!/?][^<>\n]*>")


def unrendered(description: str | None) -> list[str]:
    """The placeholders of ``description`` that a markdown renderer would swallow."""
    return TAG.findall(CODE.sub("", description or ""))


@pytest.fixture(scope="module")
def graph():
    from pipelines.definitions import defs

    return defs.resolve_asset_graph()


def test_every_asset_has_a_group_and_its_owner(graph) -> None:
    """Every materialisable asset is in a named group, owned by that group's team."""
    assets = [graph.get(k) for k in graph.get_all_asset_keys() if graph.get(k).is_materializable]
    assert len(assets) > 60
    wrong = {
        a.key.to_user_string(): (a.group_name, list(a.owners))
        for a in assets
        if a.group_name not in GROUP_OWNERS or list(a.owners) != [GROUP_OWNERS[a.group_name]]
    }
    assert wrong == {}
    groups = {a.group_name for a in assets}
    assert groups == set(GROUP_OWNERS), "every documented group is used"


def test_descriptions_render_their_placeholders(graph) -> None:
    """No asset or check description holds a ``<...>`` that markdown would drop as a tag."""
    described = {k.to_user_string(): graph.get(k).description for k in graph.get_all_asset_keys()}
    described |= {
        k.to_user_string(): graph.get_check_spec(k).description for k in graph.asset_check_keys
    }
    # the placeholders are still there, in code spans
    assert all("<YYYY-MM>" in described[k] for k in ["raw/dir_triage", "publication/release"])
    assert {k: unrendered(d) for k, d in described.items() if unrendered(d)} == {}


def test_markdown_safe_wraps_placeholders_outside_code() -> None:
    text = "Files in landing/<source>/<YYYY-MM>/; `raw.<table>` and a < b stay as they are."
    safe = markdown_safe(text)
    assert safe == (
        "Files in landing/`<source>`/`<YYYY-MM>`/; `raw.<table>` and a < b stay as they are."
    )
    assert unrendered(text) == ["<source>", "<YYYY-MM>"]
    assert unrendered(safe) == []


def asset_name(node: dict) -> str:
    """The asset key (as a string) of a dbt model or seed (``OutcomesTranslator``)."""
    return f"seeds/{node['name']}" if node["resource_type"] == "seed" else node["name"]


@pytest.fixture(scope="module")
def dbt_run(ci_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    """The dbt assets and the dbt docs materialised with a temporary instance on a copy of the ci
    pipeline's warehouse; returns (result, warehouse, publications folder)."""
    from pipelines.resources import PublicationResource
    from pipelines.transform.assets import dbt_resource, outcome_model
    from pipelines.transform.docs import dbt_docs

    folder = tmp_path_factory.mktemp("dbt_row_counts")
    warehouse = folder / "warehouse.duckdb"
    shutil.copy(ci_warehouse / "warehouse.duckdb", warehouse)
    before = Path.cwd()
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [outcome_model, dbt_docs],
            instance=instance,
            resources={
                "dbt": dbt_resource(),
                "warehouse": WarehouseResource(warehouse=str(warehouse)),
                "publication": PublicationResource(publications_dir=str(folder / "site")),
            },
            partition_key="2024-12",
        )
        # relative paths of later assets (release, snapshot) resolve where they did before
        assert Path.cwd() == before
        yield result, warehouse, folder / "site"


def test_dbt_materialisations_carry_their_row_counts(dbt_run) -> None:
    """Every seed and table materialisation has ``dagster/row_count``, equal to the rows of its
    table in the warehouse after the build; views have none (counting one runs its query)."""
    result, warehouse, _ = dbt_run
    assert result.success
    built = [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.materialization.asset_key != DBT_DOCS_KEY
    ]
    assert len(built) > 50
    nodes = json.loads(dbt_project().manifest_path.read_text())["nodes"].values()
    tables = {
        asset_name(n): f"{n['schema']}.{n['alias']}"
        for n in nodes
        if n["resource_type"] in ("model", "seed")
    }
    views = {
        n["name"]
        for n in nodes
        if n["resource_type"] == "model" and n["config"].get("materialized") == "view"
    }
    counts = {
        m.asset_key.to_user_string(): m.metadata["dagster/row_count"].value
        for m in built
        if "dagster/row_count" in m.metadata
    }
    assert {m.asset_key.to_user_string() for m in built} - set(counts) == views
    with duckdb.connect(str(warehouse), read_only=True) as con:
        actual = {
            key: con.execute(f"select count(*) from {tables[key]}").fetchone()[0] for key in counts
        }
        (indicators,) = con.execute("select count(*) from main_marts.fct_indicators").fetchone()
    assert counts == actual
    assert indicators > 1000
