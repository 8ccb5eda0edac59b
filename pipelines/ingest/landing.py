"""Where deliveries land: ``<landing>/<source>/<YYYY-MM>/<file>``."""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.contracts.deliveries import CONTRACTS, Contract

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def landing_months(landing_dir: Path | str) -> list[str]:
    """Every delivery month (``YYYY-MM``) found under any source folder, sorted."""
    root = Path(landing_dir)
    if not root.is_dir():
        return []
    months = {
        month.name
        for source in root.iterdir()
        if source.is_dir()
        for month in source.iterdir()
        if month.is_dir() and _MONTH.match(month.name)
    }
    return sorted(months)


def delivered_files(landing_dir: Path, contract: Contract, month: str) -> list[Path]:
    """The table's files in one month folder, sorted: the expected name plus any re-sent ones.

    A re-sent file carries another month's stamp (``pnc_person_202103.psv`` in ``2021-04/``);
    byte-identical copies of loaded files are skipped by the manifest. Names are matched
    ignoring letter case (``PNC_PERSON_202103.PSV`` is the PNC person file).
    """
    folder = Path(landing_dir) / contract.source / month
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and _name(contract).fullmatch(p.name))


def _name(contract: Contract) -> re.Pattern[str]:
    stem = re.escape(contract.file_prefix) + r"\d{6}" + re.escape(contract.suffix)
    return re.compile(stem, re.IGNORECASE)


def unrecognised_files(landing_dir: Path, source: str, month: str) -> list[Path]:
    """Files in ``<landing>/<source>/<month>/`` that match no contract of the source, sorted."""
    folder = Path(landing_dir) / source / month
    if not folder.is_dir():
        return []
    names = [_name(c) for c in CONTRACTS.values() if c.source == source]
    return sorted(
        p for p in folder.iterdir() if not (p.is_file() and any(n.fullmatch(p.name) for n in names))
    )
