"""The download site in real headless Chromium (Debian's /usr/bin/chromium via Playwright)."""

from __future__ import annotations

import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import pytest

from pipelines.catalogue import normalise_catalogue
from pipelines.publish.release import ReleaseInputs, publish_release
from pipelines.publish.site import make_server
from tests.support.sample_indicators import (
    sample_catalogue,
    sample_geography,
    sample_indicators,
    sample_scope,
)
from tests.support.warehouse_release import release_from_warehouse

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Two releases served on 127.0.0.1 from a free port."""
    root = tmp_path_factory.mktemp("site")
    catalogue, geography = normalise_catalogue(sample_catalogue()), sample_geography()
    scope = sample_scope()
    for month, months in [("2024-05", 5), ("2024-06", 6)]:
        rows = sample_indicators(1, months=months)
        publish_release(root, ReleaseInputs(month, rows, catalogue, geography, scope=scope))
    with serving(root) as url:
        yield root, url


@contextmanager
def serving(root: Path):
    """The site under ``root`` served on 127.0.0.1 from a free port; yields its base URL."""
    server = make_server(root, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("Debian chromium is not installed (run `make browser`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


def test_index_lists_releases_newest_first(site, browser):
    _, url = site
    page = browser.new_page()
    page.goto(f"{url}/index.html")
    links = page.locator("#releases a")
    assert links.all_inner_texts() == ["Release 2024-06", "Release 2024-05"]
    links.first.click()
    page.wait_for_url("**/2024-06/index.html")
    assert page.locator("h1").inner_text() == "Drug treatment outcomes: release 2024-06"
    page.close()


def test_filters_by_indicator_and_area(site, browser):
    root, url = site
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{url}/2024-06/index.html")
    page.select_option("#indicator", "T01")
    page.select_option("#area", "DMI")
    rows = page.locator("#rows tbody tr")
    count = rows.count()
    on_disk = pl.read_csv(root / "2024-06" / "indicators.csv", infer_schema=False)
    mature = on_disk.filter(
        (pl.col("indicator_id") == "T01")
        & (pl.col("status") != "not_yet_mature")
        & (pl.col("breakdown") == "none")
    )
    latest = mature.filter(pl.col("period") == mature["period"].max())
    expected = latest.filter(pl.col("geography_code") == "DMI")
    assert count == expected.height == 1
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[0] == "T01" and cells[3] == "DMI"
    assert page.locator("#count").inner_text().startswith(f"{count} rows match")
    assert page.locator("#chart").get_attribute("src") == "charts/T01.svg"
    page.select_option("#area", "")
    assert page.locator("#rows tbody tr").count() > count
    assert not errors
    page.close()


def test_download_link_gives_the_csv_on_disk(site, browser):
    root, url = site
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(f"{url}/2024-06/index.html")
    with page.expect_download() as info:
        page.click("#downloads a[href='indicators.csv']")
    download = info.value
    saved = Path(download.path())
    assert saved.read_bytes() == (root / "2024-06" / "indicators.csv").read_bytes()
    assert download.suggested_filename == "indicators.csv"
    context.close()


@pytest.fixture
def page(browser):
    """A fresh page that must raise no JavaScript error."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    page.close()
    assert not errors


def test_area_profile_in_two_clicks_from_the_site_index(site, page):
    """Site index → type an area name → click the area → the indicator row with England."""
    root, url = site
    page.goto(f"{url}/index.html")
    page.fill("#area-query", "liverpool")
    results = page.locator("#area-results a")
    assert results.all_inner_texts() == [
        "Liverpool (Local authority, E08000012)",
        "HMP Liverpool (Prison, LPI)",
    ]
    assert page.locator("#area-status").inner_text() == "2 matching areas"
    results.first.click()
    page.wait_for_url("**/2024-06/areas/E08000012.html")
    assert page.locator("h1").inner_text() == "Liverpool"
    expected = pl.read_csv(root / "2024-06" / "areas" / "E08000012.csv", infer_schema=False)
    t01 = expected.filter(pl.col("indicator_id") == "T01").row(0, named=True)
    row = page.locator("#row-T01")
    assert row.locator("th").inner_text().startswith("Continuity of care")
    assert row.locator("td.value").inner_text() == t01["value"]
    assert row.locator("td.england").inner_text() == t01["england_value"]
    flag = row.locator("td.compare").inner_text()
    # T01 (continuity of care): higher is better, so it is judged better, similar or worse.
    assert flag == t01["compared_to_england"] and flag in {"Better", "Similar", "Worse"}
    assert row.locator("svg[role=img]").count() == 1
    with page.expect_download() as info:
        page.click("a[href='E08000012.csv']")
    assert (
        Path(info.value.path()).read_bytes()
        == (root / "2024-06" / "areas" / "E08000012.csv").read_bytes()
    )


def test_release_page_links_profiles_and_enter_opens_the_first_match(site, page):
    _, url = site
    page.goto(f"{url}/2024-06/index.html")
    page.click("#profiles-link")
    page.wait_for_url("**/2024-06/areas/index.html")
    page.fill("#area-query", "lpi")
    page.press("#area-query", "Enter")
    page.wait_for_url("**/2024-06/areas/LPI.html")
    assert page.locator("h1").inner_text() == "HMP Liverpool"


def test_area_search_works_from_file(site, page):
    root, _ = site
    page.goto((root / "2024-06" / "areas" / "index.html").as_uri())
    page.fill("#area-query", "Manch")
    page.locator("#area-results a", has_text="Local authority").click()
    page.wait_for_url("**/areas/E08000003.html")
    assert page.locator("#profile tbody tr[id^=row-]").count() == 4


@pytest.fixture(scope="module")
def scorecard_site(ci_warehouse, tmp_path_factory):
    """A release of the ci warehouse (with its scorecard) served on 127.0.0.1."""
    root = tmp_path_factory.mktemp("scorecard_site")
    folder = release_from_warehouse(ci_warehouse, root)
    with serving(root) as url:
        yield folder, f"{url}/{folder.name}"


def test_area_profile_shows_its_scorecard_and_highlighted_funnel(scorecard_site, page):
    """An area profile's scorecard section: the score from scorecard.csv and a funnel plot per
    scored indicator with this area highlighted."""
    folder, url = scorecard_site
    areas = pl.read_csv(folder / "scorecard.csv").filter(pl.col("score").is_not_null())
    rows = pl.read_csv(folder / "scorecard_indicators.csv")
    area = areas.sort("geography_code").row(0, named=True)
    page.goto(f"{url}/areas/{area['geography_code']}.html")
    assert page.locator("#scorecard").is_visible()
    assert f"Weighted score {area['score']:+.1f}%" in page.locator("#scorecard-score").inner_text()
    scored = rows.filter(
        (pl.col("geography_code") == area["geography_code"]) & (pl.col("status") == "scored")
    )
    funnels = page.locator("#scorecard-table svg.funnel")
    assert funnels.count() == scored.height > 0
    assert page.locator("#scorecard-table circle.selected").count() == scored.height
    assert page.locator("#scorecard-table circle.selected").first.is_visible()
