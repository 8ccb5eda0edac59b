"""Statistical disclosure control for published indicator tables (applied only at publication).

Rules (see ``docs/publication.md``):

1. **Primary suppression**: a row whose count columns (per the catalogue ``unit``) hold a value
   of 1-4 is withheld (``[c]``).
2. **Secondary suppression**: counts are additive along two kinds of linear relation, the
   categories of a breakdown sum to the ``none`` row, and child areas (prisons, local
   authorities, regions) sum to their parent area. No relation may have exactly one withheld
   cell; then, per indicator and period, any withheld cell still determined by the published
   cells (checked exactly with linear algebra) gets a further complementary suppression.
3. **Minimum denominator**: ``value`` and its interval are shown only where the denominator is
   at least the catalogue ``min_denominator`` (default 10); otherwise ``[u]``.
4. Periods that are not yet mature are published without numbers (``[x]``).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import polars as pl

CONFIDENTIAL = "[c]"
LOW_DENOMINATOR = "[u]"
NOT_AVAILABLE = "[x]"
SYMBOL_KEY: dict[str, str] = {
    CONFIDENTIAL: "Confidential: withheld to protect people's identities (a count of 1 to 4, "
    "or withheld so that another withheld figure cannot be worked out from totals)",
    LOW_DENOMINATOR: "Unreliable: the denominator is below the indicator's minimum, so the "
    "value is not shown",
    NOT_AVAILABLE: "Not available: the follow-up period for this period is not yet complete",
}
DEFAULT_MIN_DENOMINATOR = 10
ENGLAND_CODE = "E92000001"

#: Which of numerator/denominator are counts of people or events, by catalogue unit.
COUNT_COLUMNS: dict[str, tuple[str, ...]] = {
    "proportion": ("numerator", "denominator"),
    "rate_per_1000": ("numerator", "denominator"),
    "rate_per_100": ("numerator", "denominator"),
    "mean": ("denominator",),
    "median_days": ("denominator",),
    "ratio": ("numerator",),
}
KEY = ["indicator_id", "period", "geography_type", "geography_code", "breakdown", "breakdown_value"]
NUMBERS = ["numerator", "denominator", "value", "ci_low", "ci_high"]


def _is_small(column: str) -> pl.Expr:
    value = pl.col(column)
    return value.is_not_null() & (value >= 1) & (value <= 4)


def primary_suppression(indicators: pl.DataFrame, catalogue: pl.DataFrame) -> pl.Series:
    """Boolean mask: rows with a count of 1-4 in a count column of their unit."""
    units = indicators.select("indicator_id").join(
        catalogue.select("indicator_id", "unit"),
        on="indicator_id",
        how="left",
        maintain_order="left",
    )["unit"]
    unknown = units.is_null()
    if unknown.any():
        missing = sorted(set(indicators.filter(unknown)["indicator_id"].to_list()))
        raise ValueError(f"indicators missing from the catalogue: {missing}")
    frame = indicators.with_columns(units.alias("_unit"))
    num_is_count = pl.col("_unit").is_in(["proportion", "rate_per_1000", "rate_per_100", "ratio"])
    den_is_count = pl.col("_unit").is_in(
        ["proportion", "rate_per_1000", "rate_per_100", "mean", "median_days"]
    )
    mask = (num_is_count & _is_small("numerator")) | (den_is_count & _is_small("denominator"))
    return frame.select(mask.fill_null(False).alias("primary"))["primary"]


def _parents(indicators: pl.DataFrame, geography: pl.DataFrame | None) -> dict[str, str]:
    """Child geography code -> parent code (England for everything when no hierarchy given)."""
    codes = indicators.filter(pl.col("geography_type") != "england")["geography_code"].unique()
    parents = dict.fromkeys(codes.to_list(), ENGLAND_CODE)
    if geography is not None:
        for child, parent in geography.select("geography_code", "parent_code").iter_rows():
            if child in parents and parent:
                parents[child] = parent
    return parents


def relations(indicators: pl.DataFrame, geography: pl.DataFrame | None = None) -> list[list[int]]:
    """Additive relations as lists of row positions (first the total, then its parts).

    Breakdown relations: per indicator, period and area, the ``none`` row and the categories of
    one breakdown. Area relations: per indicator, period, breakdown value and child area type,
    the parent area's row and its child areas' rows.
    """
    rows = indicators.select(KEY).with_row_index("_i")
    parents = _parents(indicators, geography)
    by_key: dict[tuple, int] = {}
    breakdown_groups: dict[tuple, list[int]] = defaultdict(list)
    area_groups: dict[tuple, list[int]] = defaultdict(list)
    for i, ind, period, gtype, gcode, breakdown, bvalue in rows.iter_rows():
        by_key[(ind, period, gtype, gcode, breakdown, bvalue)] = i
        if breakdown != "none":
            breakdown_groups[(ind, period, gtype, gcode, breakdown)].append(i)
        if gtype != "england":
            area_groups[(ind, period, parents[gcode], gtype, breakdown, bvalue)].append(i)
    parent_rows: dict[tuple, int] = {}
    none_rows: dict[tuple, int] = {}
    for (ind, period, gtype, gcode, breakdown, bvalue), i in by_key.items():
        parent_rows[(ind, period, gcode, breakdown, bvalue)] = i
        if breakdown == "none":
            none_rows[(ind, period, gtype, gcode)] = i
    out: list[list[int]] = []
    for (ind, period, gtype, gcode, _breakdown), parts in breakdown_groups.items():
        total = none_rows.get((ind, period, gtype, gcode))
        if total is not None:
            out.append([total, *parts])
    for (ind, period, parent, _gtype, breakdown, bvalue), parts in area_groups.items():
        total = parent_rows.get((ind, period, parent, breakdown, bvalue))
        if total is not None:
            out.append([total, *parts])
    return out


def determined_cells(relation_rows: list[list[int]], withheld: np.ndarray) -> set[int]:
    """Withheld rows whose values follow exactly from the relations and the published cells.

    Each relation reads ``total - sum(parts) = 0``; published cells move to the right-hand side,
    so a withheld cell is determined exactly when its unit vector lies in the row space of the
    relations restricted to withheld cells (its null-space component is zero).
    """
    reduced = []
    for rel in relation_rows:
        terms = [(i, 1.0 if k == 0 else -1.0) for k, i in enumerate(rel) if withheld[i]]
        if terms:
            reduced.append(terms)
    groups = _components(reduced)
    out: set[int] = set()
    for rels in groups:
        cells = sorted({i for terms in rels for i, _ in terms})
        pos = {c: j for j, c in enumerate(cells)}
        matrix = np.zeros((len(rels), len(cells)))
        for r, terms in enumerate(rels):
            for i, sign in terms:
                matrix[r, pos[i]] = sign
        _, singular, vt = np.linalg.svd(matrix)
        rank = int((singular > 1e-9).sum())
        null = vt[rank:]
        for c, j in pos.items():
            if null.shape[0] == 0 or np.abs(null[:, j]).max() < 1e-9:
                out.add(c)
    return out


def _components(reduced: list[list[tuple[int, float]]]) -> list[list[list[tuple[int, float]]]]:
    """Group relations that share withheld cells (each group is solved on its own)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for terms in reduced:
        first = find(terms[0][0])
        for i, _ in terms[1:]:
            parent[find(i)] = first
    groups: dict[int, list] = defaultdict(list)
    for terms in reduced:
        groups[find(terms[0][0])].append(terms)
    return [groups[k] for k in sorted(groups)]


def _size_key(indicators: pl.DataFrame) -> np.ndarray:
    """Order for choosing complementary cells: smallest non-zero count first, zeros last."""
    size = indicators.select(
        pl.coalesce(pl.col("denominator"), pl.col("numerator"), pl.lit(0.0)).alias("s")
    )["s"].to_numpy()
    return np.where(size > 0, size, np.inf)


def secondary_suppression(
    withheld: np.ndarray, relation_rows: list[list[int]], size: np.ndarray
) -> np.ndarray:
    """Extend ``withheld`` until no withheld cell can be recovered from the relations."""
    withheld = withheld.copy()

    def complement(rel: list[int]) -> bool:
        candidates = [i for i in rel if not withheld[i]]
        if not candidates:
            return False
        withheld[min(candidates, key=lambda i: (size[i], i))] = True
        return True

    by_cell: dict[int, list[int]] = defaultdict(list)
    for r, rel in enumerate(relation_rows):
        for i in rel:
            by_cell[i].append(r)
    pending = set(range(len(relation_rows)))
    while True:
        while pending:
            touched: set[int] = set()
            for r in sorted(pending):
                rel = relation_rows[r]
                if sum(1 for i in rel if withheld[i]) == 1:
                    before = withheld.copy()
                    if complement(rel):
                        for i in np.flatnonzero(withheld & ~before):
                            touched.update(by_cell[int(i)])
            pending = touched
        determined = determined_cells(relation_rows, withheld)
        for cell in sorted(determined):
            r = _nearest_open_relation(cell, relation_rows, by_cell, withheld)
            if r is not None:
                before = withheld.copy()
                complement(relation_rows[r])
                for i in np.flatnonzero(withheld & ~before):
                    pending.update(by_cell[int(i)])
        if not pending:
            return withheld


def _nearest_open_relation(
    cell: int, relation_rows: list[list[int]], by_cell: dict[int, list[int]], withheld: np.ndarray
) -> int | None:
    """The relation closest to ``cell`` (through withheld cells) that still has a published cell."""
    seen_cells, seen_rels = {cell}, set()
    frontier = [cell]
    while frontier:
        next_frontier = []
        for c in frontier:
            for r in by_cell[c]:
                if r in seen_rels:
                    continue
                seen_rels.add(r)
                if not all(withheld[i] for i in relation_rows[r]):
                    return r
                for i in relation_rows[r]:
                    if i not in seen_cells:
                        seen_cells.add(i)
                        next_frontier.append(i)
        frontier = sorted(next_frontier)
    return None


def apply_disclosure_control(
    indicators: pl.DataFrame,
    catalogue: pl.DataFrame,
    geography: pl.DataFrame | None = None,
    default_min_denominator: int = DEFAULT_MIN_DENOMINATOR,
) -> pl.DataFrame:
    """Return the rows to publish: withheld numbers nulled, ``symbol`` and ``status`` set.

    ``symbol`` is empty for a fully published row, else ``[c]``, ``[u]`` or ``[x]``.
    """
    frame = indicators.sort(KEY)
    mature = (frame["status"] != "not_yet_mature").to_numpy()
    primary = primary_suppression(frame, catalogue).to_numpy() & mature
    rels = relations(frame, geography)
    # Immature periods are withheld whole, so relations never cross them; treat them as
    # unavailable (not withheld) when counting.
    rels = [rel for rel in rels if all(mature[i] for i in rel)]
    withheld = secondary_suppression(primary, rels, _size_key(frame))
    mins = frame.select("indicator_id").join(
        catalogue.select("indicator_id", "min_denominator"),
        on="indicator_id",
        how="left",
        maintain_order="left",
    )["min_denominator"]
    frame = frame.with_columns(
        pl.Series("_withheld", withheld),
        pl.Series("_mature", mature),
        mins.cast(pl.Float64).fill_null(float(default_min_denominator)).alias("_min_den"),
    )
    low = pl.col("denominator").is_null() | (pl.col("denominator") < pl.col("_min_den"))
    symbol = (
        pl.when(~pl.col("_mature"))
        .then(pl.lit(NOT_AVAILABLE))
        .when(pl.col("_withheld"))
        .then(pl.lit(CONFIDENTIAL))
        .when(low)
        .then(pl.lit(LOW_DENOMINATOR))
        .otherwise(pl.lit(""))
    )
    frame = frame.with_columns(symbol.alias("symbol"))
    hide_all = pl.col("symbol").is_in([NOT_AVAILABLE, CONFIDENTIAL])
    hide_value = hide_all | (pl.col("symbol") == LOW_DENOMINATOR)
    return frame.with_columns(
        *[
            pl.when(hide_all).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("numerator", "denominator")
        ],
        *[
            pl.when(hide_value).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("value", "ci_low", "ci_high")
        ],
        pl.when(pl.col("symbol") == NOT_AVAILABLE)
        .then(pl.lit("not_yet_mature"))
        .when(pl.col("symbol") != "")
        .then(pl.lit("suppressed"))
        .otherwise(pl.lit("published"))
        .alias("status"),
    ).drop("_withheld", "_mature", "_min_den")
