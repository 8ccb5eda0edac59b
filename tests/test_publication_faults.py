"""Publication under faults, on real files: a full disk (a real, small tmpfs) leaves the previous
release intact and says why; a publication killed between its two renames is put right by the
next one."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.publish.release import PublicationError, ReleaseInputs, publish_release, recover
from tests.support.release_files import digests
from tests.support.warehouse_release import warehouse_inputs

LAST = "2024-12"


def release_inputs(warehouse: Path) -> ReleaseInputs:
    """What the release asset reads, from a built warehouse."""
    inputs = warehouse_inputs(warehouse, generated_at="2024-12-31T00:00:00+00:00")
    assert inputs.month == LAST
    return inputs


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 48 MB tmpfs mounted for the test (needs the mount privilege, as root in CI)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_full_disk_keeps_the_previous_release_and_says_why(
    ci_warehouse: Path, small_disk: Path
) -> None:
    publications = small_disk / "publications"
    shutil.copytree(ci_warehouse / "publications", publications)
    before = digests(publications)
    free = shutil.disk_usage(small_disk).free
    filler = small_disk / "filler"
    with open(filler, "wb") as f:  # leave 256 kB: far less than a release
        f.write(b"\0" * (free - 256 * 1024))
    inputs = release_inputs(ci_warehouse / "warehouse.duckdb")

    with pytest.raises(PublicationError) as raised:
        publish_release(publications, inputs)

    message = str(raised.value)
    assert "Disk full while writing release 2024-12" in message
    assert str(publications.absolute()) in message
    assert "bytes free" in message and "the last release (2024-12) takes" in message
    assert f"the previous release {publications / LAST} is unchanged" in message
    assert digests(publications) == before  # release, site index, no temporary folder left
    assert sorted(p.name for p in publications.iterdir()) == sorted(
        p.name for p in (ci_warehouse / "publications").iterdir()
    )

    filler.unlink()
    publish_release(publications, inputs)
    after = digests(publications / LAST)
    reference = digests(ci_warehouse / "publications" / LAST)
    assert {k: v for k, v in after.items() if k != "metadata.json"} == {
        k: v for k, v in reference.items() if k != "metadata.json"
    }


def test_release_moved_aside_by_a_killed_publication_is_put_back(
    ci_warehouse: Path, tmp_path: Path
) -> None:
    """The one window of a replacement: the old release renamed aside, the new one not yet in.
    The next publication (here its first step, :func:`recover`) restores the old one."""
    publications = tmp_path / "publications"
    shutil.copytree(ci_warehouse / "publications", publications)
    before = digests(publications / LAST)
    (publications / LAST).rename(publications / f".{LAST}.old-0000dead")
    unfinished = publications / f".{LAST}.tmp-0000beef"
    unfinished.mkdir()
    (unfinished / "indicators.csv").write_text("indicator_id\n")

    recover(publications, LAST)

    assert digests(publications / LAST) == before
    assert sorted(p.name for p in publications.iterdir() if p.name.startswith(".")) == []
