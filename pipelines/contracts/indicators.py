"""The indicator table's shape (``main_marts.fct_indicators``, docs/indicator-table.md) and the
publication threshold that the quality gate and disclosure control share."""

#: Columns of ``main_marts.fct_indicators``, in order.
INDICATOR_COLUMNS = [
    "indicator_id",
    "period",
    "period_type",
    "geography_type",
    "geography_code",
    "geography_name",
    "breakdown",
    "breakdown_value",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "maturity_period",
    "status",
]

#: Smallest denominator published when the catalogue sets none.
DEFAULT_MIN_DENOMINATOR = 10
