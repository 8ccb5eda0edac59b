"""Vectorised row validation against a contract: typed good rows and quarantine entries.

Quarantine reasons: ``missing_required``, ``not_an_integer``, ``not_a_number``,
``out_of_range``, ``bad_date_format``, ``impossible_date``, ``future_date``, ``code_not_in_list``,
``bad_format``, ``bad_check_character``, ``control_character``, ``date_order``, ``duplicate_id``;
and the readers' whole-record reasons (``wrong_field_count``, ``blank_line``,
``repeated_header``, ``duplicate_json_key``, ``excel_error``). Nothing is coerced: a value that
does not fit its type exactly is quarantined, never read as NULL or as another value.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

import polars as pl

from pipelines.contracts.codes import PNC_ALPHABET
from pipelines.contracts.deliveries import Contract, Field
from pipelines.ingest.readers import CONTROL, REJECT_SCHEMA, ROW

QUARANTINE_SCHEMA = REJECT_SCHEMA
_TRUE = ("Y", "TRUE")
_FALSE = ("N", "FALSE")
_EARLIEST = dt.date(1900, 1, 1)
_INT32 = (-(2**31), 2**31 - 1)


@dataclass
class Validated:
    """Good rows (typed columns named ``Field.col``, text in ``__c_<col>``) and quarantine."""

    rows: pl.DataFrame
    quarantine: pl.DataFrame
    rows_read: int

    @property
    def rows_quarantined(self) -> int:
        return self.quarantine[ROW].n_unique()


def month_end(month: str) -> dt.date:
    year, mon = (int(p) for p in month.split("-"))
    return dt.date(year, mon, calendar.monthrange(year, mon)[1])


def _shape(fmt: str) -> str:
    parts = {"%Y": r"\d{4}", "%m": r"\d{2}", "%d": r"\d{2}"}
    out = re.escape(fmt)
    for token, regex in parts.items():
        out = out.replace(re.escape(token), regex)
    return f"^{out}$"


def clean_col(f: Field) -> str:
    return f"__c_{f.col}"


def orig_col(f: Field) -> str:
    return f"__o_{f.col}"


def valid_col(f: Field) -> str:
    return f"__v_{f.col}"


def _pnc_check_ok(c: pl.Expr) -> pl.Expr:
    number = (c.str.slice(2, 2) + c.str.slice(5, 7)).cast(pl.Int64, strict=False)
    expected = (number % 23).replace_strict(
        list(range(23)), list(PNC_ALPHABET), return_dtype=pl.String
    )
    return expected == c.str.slice(12, 1)


def _field_exprs(
    f: Field, contract: Contract, end: dt.date, control: bool = True
) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(typed value, reason or null, identifier-valid flag) for one field."""
    c = pl.col(clean_col(f))
    present = c.is_not_null()
    reason = pl.when(c.is_null() & pl.lit(f.required)).then(pl.lit("missing_required"))
    valid = pl.lit(True)
    if control:
        reason = reason.when(c.str.contains(CONTROL)).then(pl.lit("control_character"))
    if f.kind == "int":
        typed = c.cast(pl.Int64, strict=False)
        reason = (
            reason.when(present & typed.is_null())
            .then(pl.lit("not_an_integer"))
            .when(~typed.is_between(*_INT32))
            .then(pl.lit("out_of_range"))
        )
    elif f.kind == "float":
        typed = c.cast(pl.Float64, strict=False)
        reason = reason.when(present & ~typed.is_finite().fill_null(False)).then(
            pl.lit("not_a_number")
        )
    elif f.kind == "date":
        fmt = contract.date_format
        shaped = c.str.contains(_shape(fmt))
        typed = pl.when(shaped).then(c.str.to_date(fmt, strict=False, exact=True))
        reason = (
            reason.when(present & ~shaped)
            .then(pl.lit("bad_date_format"))
            .when(present & (typed.is_null() | (typed < _EARLIEST)))
            .then(pl.lit("impossible_date"))
        )
        if f.not_after_delivery:
            reason = reason.when(typed > end).then(pl.lit("future_date"))
    elif f.kind == "bool":
        upper = c.str.to_uppercase()
        typed = pl.when(upper.is_in(_TRUE)).then(True).when(upper.is_in(_FALSE)).then(False)
        reason = reason.when(present & typed.is_null()).then(pl.lit("code_not_in_list"))
    else:
        typed = c
    if f.min_value is not None:
        reason = reason.when(typed < f.min_value).then(pl.lit("out_of_range"))
    if f.max_value is not None:
        reason = reason.when(typed > f.max_value).then(pl.lit("out_of_range"))
    if f.codes is not None:
        reason = reason.when(present & ~c.is_in(f.codes)).then(pl.lit("code_not_in_list"))
    if f.pattern is not None:
        probe = c.str.to_uppercase() if f.privacy else c
        shaped = probe.str.contains(f.pattern)
        check = _pnc_check_ok(probe) if f.pnc_check else pl.lit(True)
        valid = pl.when(present).then(shaped & check)
        if not f.flag_invalid:
            reason = reason.when(present & ~shaped).then(pl.lit("bad_format"))
            if f.pnc_check:
                reason = reason.when(present & ~check).then(pl.lit("bad_check_character"))
    if f.kind == "int":
        typed = typed.cast(pl.Int32, strict=False)
    return typed.alias(f.col), reason.otherwise(None).alias(f"__r_{f.col}"), valid


#: Rows validated at once: a larger file is validated in slices of this many rows, so the
#: working columns of only one slice are held at a time (a 4M-row backlog file otherwise holds
#: every text column three times over); the duplicate-id check still spans the whole file.
SLICE_ROWS = 500_000


def _cleaned(f: Field, nulls: list[str]) -> pl.Expr:
    text = pl.col(f.name).str.strip_chars()
    return pl.when(text.is_in(nulls) | pl.col(f.name).is_null()).then(None).otherwise(text)


def _duplicates(cleaned: pl.DataFrame, contract: Contract) -> pl.LazyFrame:
    """Quarantine entries of the rows repeating an earlier row's unique key, over the whole
    file (``cleaned``: every row's cleaned columns, in file order)."""
    keys = [clean_col(contract.get(k)) for k in contract.unique]
    duplicate = ~pl.struct(keys).is_first_distinct() & pl.all_horizontal(
        pl.col(k).is_not_null() for k in keys
    )
    return (
        cleaned.lazy()
        .filter(duplicate)
        .select(
            ROW,
            field=pl.lit("+".join(contract.unique)),
            value=pl.concat_str(keys, separator="+"),
            reason=pl.lit("duplicate_id"),
        )
    )


def _validate_slice(
    frame: pl.DataFrame, contract: Contract, end: dt.date, control_free: bool
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Typed and cleaned columns of ``frame`` and its per-value quarantine entries."""
    nulls = list(contract.null_values)
    cleaned = frame.with_columns(
        *(pl.col(f.name).alias(orig_col(f)) for f in contract.fields),
        *(_cleaned(f, nulls).alias(clean_col(f)) for f in contract.fields),
    )
    exprs = [_field_exprs(f, contract, end, not control_free) for f in contract.fields]
    checked = cleaned.with_columns(
        *(typed for typed, _, _ in exprs),
        *(reason for _, reason, _ in exprs),
        *(
            valid.alias(valid_col(f))
            for f, (_, _, valid) in zip(contract.fields, exprs, strict=True)
        ),
    )
    lazy = checked.lazy()
    parts = [
        lazy.filter(pl.col(f"__r_{f.col}").is_not_null()).select(
            ROW,
            field=pl.lit(f.name),
            value=pl.col(orig_col(f)),
            reason=pl.col(f"__r_{f.col}"),
        )
        for f in contract.fields
    ]
    for earlier, later in contract.date_order:
        e, lt = contract.get(earlier), contract.get(later)
        parts.append(
            lazy.filter(pl.col(lt.col) < pl.col(e.col)).select(
                ROW, field=pl.lit(later), value=pl.col(orig_col(lt)), reason=pl.lit("date_order")
            )
        )
    keep = [ROW, *(f.col for f in contract.fields)]
    keep += [clean_col(f) for f in contract.fields]
    keep += [valid_col(f) for f in contract.fields if f.pattern]
    # the quarantine of this slice is collected now, while its working columns exist
    found = pl.concat([p.cast(QUARANTINE_SCHEMA) for p in parts], how="vertical").collect()
    return checked.select(keep), found


def validate(
    frame: pl.DataFrame,
    contract: Contract,
    month: str,
    rejected: pl.DataFrame | None = None,
    control_free: bool = False,
    slice_rows: int = SLICE_ROWS,
) -> Validated:
    """Split ``frame`` (text columns + ``__row``) into typed good rows and quarantine entries;
    ``rejected`` records (from the reader) join the quarantine and count as read;
    ``control_free``: the reader found no control character in the file (no check per value).
    Validated in slices of ``slice_rows`` rows (see :data:`SLICE_ROWS`)."""
    end = month_end(month)
    goods: list[pl.DataFrame] = []
    parts: list[pl.LazyFrame] = [] if rejected is None else [rejected.lazy()]
    for start in range(0, max(frame.height, 1), slice_rows):
        good, found = _validate_slice(frame.slice(start, slice_rows), contract, end, control_free)
        goods.append(good)
        parts.append(found.lazy())
    good = pl.concat(goods, how="vertical")
    parts.append(_duplicates(good, contract))
    # a row's entries keep their order: reader, fields, date order, duplicate id
    quarantine = (
        pl.concat([p.cast(QUARANTINE_SCHEMA) for p in parts], how="vertical")
        .sort(ROW, "field", maintain_order=True)
        .collect()
    )
    # rows are in file order; the common case quarantines nothing
    if quarantine.height:
        good = good.join(quarantine.select(ROW).unique(), on=ROW, how="anti", maintain_order="left")
    if not good[ROW].is_sorted():
        good = good.sort(ROW)
    rows_read = frame.height + (0 if rejected is None else rejected[ROW].n_unique())
    return Validated(good, quarantine, rows_read)
