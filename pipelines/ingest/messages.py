"""The one place that words delivery messages and decides which delivered values may be shown.

Every message about a delivery names the file, the place in it (``line N`` of a text file,
``sheet S row N`` of a workbook) and the field, and never carries record content: a parser's
own error text can quote the record, so it is never passed on; values are shown only through
:func:`private_fields` (identifiers, dates of birth, names and source record ids are hashed).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

import polars as pl

from pipelines.contracts.deliveries import Contract

#: The ``field`` of a quarantine entry about a whole record (wrong shape, blank line...).
WHOLE_RECORD = "(record)"
#: ``identity`` columns that do not identify anyone on their own (values may be shown).
_NOT_IDENTIFYING = (None, "sex", "la_code", "name_seq")
_RECORD_ID = re.compile(r"(^|[_.])id$|[a-z]id$", re.IGNORECASE)


def place(
    *, line: int | None = None, sheet: str | None = None, row: int | None = None, field: str = ""
) -> str:
    """``line 12``, ``sheet 'tests' row 5``, optionally followed by ``field X``."""
    parts = []
    if line is not None:
        parts.append(f"line {line}")
    if sheet is not None:
        parts.append(f"sheet {sheet!r} row {row}" if row is not None else f"sheet {sheet!r}")
    if field:
        parts.append(f"field {field}")
    return ", ".join(parts)


class _Hasher(Protocol):
    def hash(self, values: pl.Series, domain: str) -> pl.Series: ...


class FileFault(Exception):
    """A delivered file that cannot be loaded at all: ``<file>: [<place>: ]<fault>``.

    ``fault`` is worded here from fixed text, counts, positions and contract names only;
    ``month`` is the delivery month being loaded, when known.
    """

    month: str = ""

    def __init__(self, path: Path | str, fault: str, **where) -> None:
        self.path = str(path)
        at = place(**where)
        self.fault = f"{at}: {fault}" if at else fault
        super().__init__(f"{self.path}: {self.fault}")


def is_record_id(name: str) -> bool:
    """A source-system record id by name (``DIR_ID``, ``CLIENTID``, ``assessment_id``...)."""
    return bool(_RECORD_ID.search(name.rsplit(".", 1)[-1]))


def private_fields(c: Contract) -> set[str]:
    """Fields whose delivered values are never shown outside ``identity`` (quarantine, logs).

    Identifiers (``privacy`` set, or feeding an identifying ``identity`` column), the record
    id and unique key, every field named as a record id, and the joined unique key when any of
    its parts is private.
    """
    private = {
        f.name
        for f in c.fields
        if f.privacy
        or f.identity not in _NOT_IDENTIFYING
        or f.name in (c.record_id, *c.unique)
        or is_record_id(f.name)
    }
    if any(u in private for u in c.unique):
        private.add("+".join(c.unique))
    return private


def shown_values(quarantine: pl.DataFrame, c: Contract, hasher: _Hasher) -> pl.DataFrame:
    """Quarantine entries as they may be shown: a value of a private field (or of a whole
    record) becomes ``redacted:<keyed hash prefix>``.

    ``ops`` is outside the restricted schema; the clear value stays in the landing file
    (``file`` + ``row_number``) for those allowed to read it.
    """
    private = sorted(private_fields(c) | {WHOLE_RECORD})
    hashed = hasher.hash(quarantine["value"], "quarantine").str.slice(0, 16)
    shown = pl.col("value").is_null() | ~pl.col("field").is_in(private)
    # a whole-record value is a count worded here ("8 of 9 fields"), never delivered text
    counted = pl.col("value").str.contains(r"^\d+ of \d+ fields$")
    worded = (pl.col("field") == WHOLE_RECORD) & counted
    return quarantine.with_columns(
        value=pl.when(shown | worded).then(pl.col("value")).otherwise(pl.lit("redacted:") + hashed)
    )
