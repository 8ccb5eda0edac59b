"""DDL of the ``linkage`` schema (spine, events, kept links, model state, run statistics)."""

from __future__ import annotations

import duckdb

DDL = """
create schema if not exists linkage;
create table if not exists linkage.spine (
    source varchar, record_key varchar, person_key varchar, cluster_id varchar,
    match_probability double, match_rule varchar);
create table if not exists linkage.spine_events (
    event varchar, old_keys varchar[], new_key varchar, month varchar, records integer);
create table if not exists linkage.edges (
    record_key_l varchar, record_key_r varchar, model varchar, match_probability double,
    month varchar);
create table if not exists linkage.state (model varchar, digest varchar);
create table if not exists linkage.profiles (model varchar, phash varchar);
create table if not exists linkage.runs (
    month varchar, records bigint, new_records bigint, clusters bigint,
    existing_keys bigint, keys_changed bigint, merges integer, splits integer,
    max_cluster_records bigint, max_cluster_pncs bigint, seconds double);
create table if not exists linkage.source_stats (
    month varchar, source varchar, records bigint, new_records bigint,
    cross_source_share double, singleton_share double);
"""


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ``linkage`` schema and its tables when missing."""
    con.execute(DDL)
