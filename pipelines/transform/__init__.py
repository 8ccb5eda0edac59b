"""dbt transformation: the outcome model (staging -> intermediate -> marts) as Dagster assets."""
