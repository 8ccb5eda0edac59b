"""rMDT: prison drug tests, one POS/NEG column per drug panel (empty when not tested)."""

from __future__ import annotations

import polars as pl

from pipelines.contracts.codes import RMDT_DRUGS
from pipelines.synthetic.dates import month_of
from pipelines.synthetic.extracts.context import Context


def rmdt(ctx: Context) -> None:
    """Deliver ``rmdt_test`` (``t.tests`` already carries the test ids)."""
    tests = ctx.t.tests
    tp = tests["person"].to_numpy()
    tested = pl.col("status") == "TESTED"
    ctx.tables["rmdt_test"] = tests.select(
        month_of("test_date").alias("_month"),
        pl.col("test_id").alias("TEST_ID"),
        pl.Series("ESTABLISHMENT", ctx.places.prison_code[tests["prison"].to_numpy()]),
        pl.col("test_date").alias("TEST_DATE"),
        pl.col("reason").alias("REASON"),
        pl.Series("PRISON_NUMBER", ctx.person("prison_number", tp)),
        pl.col("status").alias("SAMPLE_STATUS"),
        *(
            pl.when(tested)
            .then(pl.when(pl.col(drug.lower())).then(pl.lit("POS")).otherwise(pl.lit("NEG")))
            .otherwise(None)
            .alias(drug)
            for drug in RMDT_DRUGS
        ),
    )
    ctx.map_records("rmdt", "rmdt_test", tests["test_id"], tp)
