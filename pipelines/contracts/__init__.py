"""Declarations shared across the product: pure data, no Dagster and no I/O.

- :mod:`~pipelines.contracts.codes`: code lists and identifier rules (PNC check character, OASys
  sections, rMDT drugs, ethnicity and substance codes).
- :mod:`~pipelines.contracts.deliveries`: every delivered table (file name, format, fields,
  identity marks); the simulator writes and ingest reads from the same declarations.
- :mod:`~pipelines.contracts.indicators`: the columns of the indicator table and publication
  thresholds.
"""
