"""Docs that run: every SQL and Python snippet and every ``outcomes query`` line of the analyst
docs, executed against the analyst snapshot of the demo build.

The snippets are read from the Markdown, so a new one is tested without touching this file.
They run in a folder laid out as the docs assume: ``data/snapshot.duckdb`` and a ``query.sql``
(example-queries.md tells the reader to save a query under that name; here it is the page's
first SQL block). Queries must return rows: an empty result usually means a filter the data no
longer meets.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The analyst-facing pages (engineers' pages such as ingest.md query the warehouse itself).
ANALYST_DOCS = ("docs/example-queries.md", "docs/analyst-snapshot.md")
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def snippets(language: str) -> list[pytest.param]:
    found = []
    for doc in ANALYST_DOCS:
        text = (ROOT / doc).read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            if match.group(1) == language:
                line = text.count("\n", 0, match.start()) + 1
                found.append(pytest.param(match.group(2), id=f"{Path(doc).stem}:{line}"))
    return found


def query_lines() -> list[pytest.param]:
    return [
        pytest.param(line, id=f"{p.id}:{n}")
        for p in snippets("sh")
        for n, line in enumerate(p.values[0].splitlines(), 1)
        if line.startswith("outcomes query")
    ]


@pytest.fixture(scope="module")
def workdir(demo_snapshot: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("analyst")
    (folder / "data").mkdir()
    (folder / "data" / "snapshot.duckdb").symlink_to(demo_snapshot)
    (folder / "query.sql").write_text(snippets("sql")[0].values[0], encoding="utf-8")
    return folder


def test_the_analyst_docs_have_snippets_of_each_kind() -> None:
    assert len(snippets("sql")) >= 9 and len(snippets("python")) >= 3 and len(query_lines()) >= 3


@pytest.mark.parametrize("sql", snippets("sql"))
def test_sql_snippet_runs_and_returns_rows(sql: str, demo_snapshot: Path) -> None:
    with duckdb.connect(str(demo_snapshot), read_only=True) as con:
        for statement in con.extract_statements(sql):
            cursor = con.execute(statement)
            if cursor.description:
                assert cursor.fetchall(), f"no rows from:\n{statement.query}"


@pytest.mark.parametrize("code", snippets("python"))
def test_python_snippet_runs_and_returns_rows(
    code: str, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workdir)
    namespace: dict = {}
    exec(compile(code, "<snippet>", "exec"), namespace)  # the docs' own code
    results = {
        name: value
        for name, value in namespace.items()
        if isinstance(value, list) or hasattr(value, "height")
    }
    assert results, "the snippet keeps no result to check"
    for name, value in results.items():
        assert len(value) > 0, f"{name} is empty"


@pytest.mark.parametrize("command", query_lines())
def test_outcomes_query_line_runs_and_prints_rows(command: str, workdir: Path) -> None:
    args = shlex.split(command.split(">")[0])
    outcomes = Path(sys.executable).with_name("outcomes")
    env = {**os.environ, "OUTCOMES_SNAPSHOT": str(workdir / "data" / "snapshot.duckdb")}
    result = subprocess.run(
        [str(outcomes), *args[1:]], cwd=workdir, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert " 0 rows" not in result.stdout
    assert len(result.stdout.strip().splitlines()) >= 2, result.stdout
