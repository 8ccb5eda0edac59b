"""Statistical disclosure control for published indicator tables (applied only at publication).

Rules (see ``docs/publication.md``):

1. **Primary suppression**: a row whose count columns (per the catalogue ``unit``) hold a value
   of 1-4 is withheld (``[c]``).
2. **Secondary suppression**: counts are additive along two kinds of linear relation, the
   categories of a breakdown sum to the ``none`` row, and child areas (prisons, local
   authorities, regions) sum to their parent area. No relation may have exactly one withheld
   cell; then, per indicator and period, any withheld cell still determined by the published
   cells (checked exactly with linear algebra) gets a further complementary suppression.
   Complements protect totals: they are the smallest cells below the total (siblings); a
   region's ``none`` row is chosen only when no other cell will do (a region withheld for its
   own small counts needs another region withheld beside it) and England's ``none`` row only
   as a last resort (never needed by the additive structure; measured in the tests).
3. **Minimum denominator**: ``value`` and its interval are shown only where the denominator is
   at least the catalogue ``min_denominator`` (default 10); otherwise ``[u]``.
4. Periods that are not yet mature are published without numbers (``[x]``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.contracts.indicators import DEFAULT_MIN_DENOMINATOR

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class Relations:
    """Additive relations in sparse form: entry k says row ``cell[k]`` takes part in relation
    ``rel[k]`` with coefficient ``sign[k]`` (+1 the total, -1 a part): sum(sign * count) = 0."""

    rel: np.ndarray
    cell: np.ndarray
    sign: np.ndarray
    count: int


def _parent_codes(rows: pl.DataFrame, geography: pl.DataFrame | None) -> pl.DataFrame:
    """Child geography code -> parent code (England for any area without a known parent)."""
    codes = rows.filter(pl.col("geography_type") != "england").select("geography_code").unique()
    if geography is not None:
        known = geography.select("geography_code", "parent_code").filter(
            pl.col("parent_code").is_not_null()
        )
        codes = codes.join(known, on="geography_code", how="left")
    else:
        codes = codes.with_columns(pl.lit(None, pl.Utf8).alias("parent_code"))
    return codes.with_columns(pl.col("parent_code").fill_null(ENGLAND_CODE))


def relations(indicators: pl.DataFrame, geography: pl.DataFrame | None = None) -> Relations:
    """The additive relations between rows (row positions of ``indicators``).

    Breakdown relations: per indicator, period and area, the ``none`` row and the categories of
    one breakdown. Area relations: per indicator, period, breakdown value and child area type,
    the parent area's row and its child areas' rows.
    """
    rows = indicators.select(KEY).with_row_index("cell")
    block = ["indicator_id", "period"]
    totals = rows.filter(pl.col("breakdown") == "none").select(
        *block, "geography_code", pl.col("cell").alias("total")
    )
    parts = rows.filter(pl.col("breakdown") != "none")
    by_breakdown = parts.join(totals, on=[*block, "geography_code"], how="inner").select(
        pl.concat_str([*block, "geography_code", "breakdown"], separator="|").alias("group"),
        "cell",
        "total",
    )
    children = rows.filter(pl.col("geography_type") != "england").join(
        _parent_codes(rows, geography), on="geography_code", how="left"
    )
    parents = rows.select(
        *block,
        pl.col("geography_code").alias("parent_code"),
        "breakdown",
        "breakdown_value",
        pl.col("cell").alias("total"),
    )
    by_area = children.join(
        parents, on=[*block, "parent_code", "breakdown", "breakdown_value"], how="inner"
    ).select(
        pl.concat_str(
            [*block, "parent_code", "geography_type", "breakdown", "breakdown_value"],
            separator="|",
        ).alias("group"),
        "cell",
        "total",
    )
    grouped = pl.concat(
        [
            by_breakdown.with_columns(pl.lit("b").alias("kind")),
            by_area.with_columns(pl.lit("a").alias("kind")),
        ]
    ).with_columns((pl.col("kind") + pl.col("group")).alias("group"))
    grouped = grouped.with_columns(pl.col("group").rank("dense").cast(pl.Int64).sub(1).alias("rel"))
    entries = pl.concat(
        [
            grouped.select("rel", "cell", pl.lit(-1, pl.Int8).alias("sign")),
            grouped.select(
                "rel", pl.col("total").alias("cell"), pl.lit(1, pl.Int8).alias("sign")
            ).unique(),
        ]
    ).sort("rel", "sign", "cell", descending=[False, True, False])
    count = int(grouped["rel"].max() + 1) if grouped.height else 0
    return Relations(
        entries["rel"].to_numpy(),
        entries["cell"].cast(pl.Int64).to_numpy(),
        entries["sign"].to_numpy().astype(float),
        count,
    )


def determined_cells(relations: Relations, withheld: np.ndarray, seed: int = 0) -> np.ndarray:
    """Withheld rows whose values follow exactly from the relations and the published cells.

    Published cells move to the right-hand side, leaving ``A x = b`` over withheld cells. A cell
    is determined exactly when every solution agrees on it, i.e. when the null space of ``A`` is
    zero in its coordinate. Random vectors projected onto the null space (a sparse LU solve of
    the regularised normal equations) are non-zero there with probability one otherwise; two
    are used, and a cell counts as determined only when both vanish.
    """
    from scipy.sparse import csr_matrix, identity
    from scipy.sparse.linalg import splu

    keep = withheld[relations.cell]
    cells = np.unique(relations.cell[keep])
    if cells.size == 0:
        return cells
    column = np.searchsorted(cells, relations.cell[keep])
    rel_ids, row = np.unique(relations.rel[keep], return_inverse=True)
    matrix = csr_matrix((relations.sign[keep], (row, column)), shape=(rel_ids.size, cells.size))
    # Projection onto the null space: z = x - A^T (A A^T + eps I)^-1 A x (eps regularises
    # dependent relations; a determined cell's z is then of order eps, others of order 1).
    normal = (matrix @ matrix.T + 1e-9 * identity(rel_ids.size)).tocsc()
    solver = splu(normal)
    rng = np.random.default_rng(seed)
    vanishing = np.ones(cells.size, dtype=bool)
    for _ in range(2):
        x = rng.standard_normal(cells.size)
        z = x - matrix.T @ solver.solve(matrix @ x)
        vanishing &= np.abs(z) < 1e-5
    return cells[vanishing]


def _size_key(indicators: pl.DataFrame) -> np.ndarray:
    """Order for choosing complementary cells: smallest non-zero count first, zeros last."""
    size = indicators.select(
        pl.coalesce(pl.col("denominator"), pl.col("numerator"), pl.lit(0.0)).alias("s")
    )["s"].to_numpy()
    return np.where(size > 0, size, np.inf)


#: Complement priority: ordinary cells, a region's ``none`` row, England's ``none`` row.
ORDINARY, REGION_TOTAL, ENGLAND_TOTAL = 0, 1, 2


def complement_priority(indicators: pl.DataFrame) -> np.ndarray:
    """Per row, how reluctantly it is withheld as a complement (higher: more reluctantly)."""
    headline = pl.col("breakdown") == "none"
    return indicators.select(
        pl.when(headline & (pl.col("geography_type") == "england"))
        .then(ENGLAND_TOTAL)
        .when(headline & (pl.col("geography_type") == "region"))
        .then(REGION_TOTAL)
        .otherwise(ORDINARY)
        .alias("p")
    )["p"].to_numpy()


def _complements(
    relations: Relations,
    withheld: np.ndarray,
    size: np.ndarray,
    rels: np.ndarray,
    priority: np.ndarray,
    max_priority: int = ENGLAND_TOTAL,
) -> np.ndarray:
    """For each relation in ``rels``, its published cell of lowest priority, smallest first
    (none if every cell up to ``max_priority`` is withheld)."""
    wanted = np.zeros(relations.count, dtype=bool)
    wanted[rels] = True
    candidate = (
        wanted[relations.rel]
        & ~withheld[relations.cell]
        & (priority[relations.cell] <= max_priority)
    )
    rel, cell = relations.rel[candidate], relations.cell[candidate]
    order = np.lexsort((cell, size[cell], priority[cell], rel))
    rel, cell = rel[order], cell[order]
    first = np.ones(rel.size, dtype=bool)
    first[1:] = rel[1:] != rel[:-1]
    return cell[first]


def secondary_suppression(
    withheld: np.ndarray,
    relations: Relations,
    size: np.ndarray,
    priority: np.ndarray | None = None,
) -> np.ndarray:
    """Extend ``withheld`` until no withheld cell can be recovered from the relations.

    First no relation may hold exactly one withheld cell (its published cell of lowest
    ``priority``, smallest first, joins it); then any cell still determined through chains of
    relations gets a complement in a relation of its own, or failing that in any relation of
    its connected group that still has a published cell, trying ordinary cells before totals.
    """
    withheld = withheld.copy()
    if priority is None:
        priority = np.zeros(withheld.size, dtype=np.int8)
    while True:
        while True:
            counts = np.bincount(
                relations.rel, weights=withheld[relations.cell], minlength=relations.count
            )
            single = np.flatnonzero(counts == 1)
            chosen = _complements(relations, withheld, size, single, priority)
            if chosen.size == 0:
                break
            withheld[chosen] = True
        determined = determined_cells(relations, withheld)
        if determined.size == 0:
            return withheld
        chosen = _determined_complements(relations, withheld, size, priority, determined)
        if chosen.size == 0:
            log.warning(
                "%d withheld cells stay recoverable: nothing left to withhold", determined.size
            )
            return withheld
        withheld[chosen] = True


def _determined_complements(
    relations: Relations,
    withheld: np.ndarray,
    size: np.ndarray,
    priority: np.ndarray,
    determined: np.ndarray,
) -> np.ndarray:
    """Complements for cells still determined: in their own relations, else in their connected
    group; ordinary cells first, then region totals, then England's total."""
    involved = np.unique(relations.rel[np.isin(relations.cell, determined)])
    for level in (ORDINARY, REGION_TOTAL, ENGLAND_TOTAL):
        chosen = _complements(relations, withheld, size, involved, priority, level)
        if chosen.size == 0:
            group = _group_relations(relations, withheld, determined)
            chosen = _complements(relations, withheld, size, group, priority, level)
        if chosen.size:
            return chosen
    return chosen


def _group_relations(relations: Relations, withheld: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Relations reachable from ``cells`` through withheld cells (relation-cell graph)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    keep = withheld[relations.cell]
    nodes = relations.count + withheld.size  # relations first, then cells
    edges = coo_matrix(
        (np.ones(int(keep.sum())), (relations.rel[keep], relations.count + relations.cell[keep])),
        shape=(nodes, nodes),
    )
    _, label = connected_components(edges, directed=False)
    targets = np.unique(label[relations.count + cells])
    return np.flatnonzero(np.isin(label[: relations.count], targets))


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
    # Immature periods are withheld whole (and relations never cross periods): leave them out.
    keep = mature[rels.cell]
    rels = Relations(rels.rel[keep], rels.cell[keep], rels.sign[keep], rels.count)
    withheld = secondary_suppression(primary, rels, _size_key(frame), complement_priority(frame))
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


def published_share(published: pl.DataFrame) -> pl.DataFrame:
    """Per geography type, mature rows and the share published whole (no symbol), with the
    rows withheld (``[c]``) and shown without a value (``[u]``)."""
    mature = published.filter(pl.col("symbol") != NOT_AVAILABLE)
    return (
        mature.group_by("geography_type")
        .agg(
            pl.len().alias("rows"),
            (pl.col("symbol") == "").sum().alias("published"),
            (pl.col("symbol") == CONFIDENTIAL).sum().alias("confidential"),
            (pl.col("symbol") == LOW_DENOMINATOR).sum().alias("low_denominator"),
        )
        .with_columns((pl.col("published") / pl.col("rows")).round(4).alias("share"))
        .sort("geography_type")
    )
