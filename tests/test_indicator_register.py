"""The definitions register (docs/definitions.md) covers every catalogue indicator, is current
with the catalogue and pipelines/indicator_register.py, and names every definition rule."""

from __future__ import annotations

import re

from pipelines.catalogue import load_catalogue
from pipelines.indicator_register import DOC_PATH, REGISTER, render
from pipelines.transform.project import PROJECT_DIR

FIELDS = ("Source", "Numerator", "Denominator", "Exclusions", "Window", "Maturity", "Deviations")


def test_register_covers_the_catalogue() -> None:
    ids = load_catalogue()["indicator_id"].to_list()
    assert len(ids) == 37
    assert sorted(REGISTER) == sorted(ids)


def test_page_is_current_and_complete() -> None:
    """The page is what the generator writes (run ``python -m pipelines.indicator_register``),
    with every field for every indicator, and the proxy measurement kept."""
    page = DOC_PATH.read_text()
    measured = page[page.index("## Proxy measured") :]
    assert page == render(load_catalogue(), measured)
    sections = page.split("\n### ")[1:]
    assert len(sections) == 37
    for section in sections:
        for field in FIELDS:
            assert f"- **{field}**: " in section or f"- **{field}**:\n" in section, section[:60]


def test_every_definition_rule_is_registered_where_it_acts() -> None:
    macros = (PROJECT_DIR / "macros" / "definition_rules.sql").read_text()
    listed = re.search(r"return\(\[(.*?)\]\)", macros, re.S).group(1)
    rules = set(re.findall(r"'(\w+)'", listed))
    used = {rule for entry in REGISTER.values() for rule in entry.rules}
    assert used == rules
    for indicator, entry in REGISTER.items():
        for rule in entry.rules:
            assert f"`{rule}`" in entry.exclusions + " ".join(entry.deviations), (indicator, rule)
