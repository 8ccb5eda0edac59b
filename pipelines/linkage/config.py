"""Linkage thresholds (tuned on the demo preset; see docs/linkage.md) and check limits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    """Match-probability thresholds for accepting Splink links."""

    #: named sources (PNC, OASys, DIR): an edge at or above this joins two profiles
    named: float = 0.99
    #: NDTMS client to a named person (best link only)
    ndtms_link: float = 0.9
    #: NDTMS client to NDTMS client (same person at two agencies)
    ndtms_dedupe: float = 0.99
    #: scored pairs kept in ``linkage.edges`` (so thresholds can move without re-scoring)
    store_floor: float = 0.5


@dataclass(frozen=True)
class CheckLimits:
    """Warn / fail limits of the linkage quality checks."""

    #: drop in a source's cross-source match rate against the previous run (points)
    match_rate_drop_warn: float = 0.05
    match_rate_drop_fail: float = 0.20
    #: distinct valid PNC IDs in one cluster (a person has one, rarely two or three)
    cluster_pnc_warn: int = 4
    cluster_pnc_fail: int = 10
    #: records in one cluster
    cluster_records_warn: int = 500
    cluster_records_fail: int = 5000
    #: share of a named source's records left as singletons
    unlinked_named_warn: float = 0.5
    unlinked_named_fail: float = 0.9
    #: share of existing person keys changed by this run
    keys_changed_warn: float = 0.001
    keys_changed_fail: float = 0.01


THRESHOLDS = Thresholds()
LIMITS = CheckLimits()
