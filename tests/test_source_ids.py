"""Source record ids in the contracts: pseudonymised, and one hash domain per id so joins hold.

The data-level scan (warehouse outside ``identity``, analyst snapshot, release) is
``tests/test_pipeline_e2e.py::test_no_source_record_id_outside_identity``.
"""

from __future__ import annotations

from pipelines.contracts.deliveries import CONTRACTS, Contract, Field
from pipelines.ingest.protect import hash_domain
from tests.support.source_ids import SOURCE_RECORD_IDS, record_id_fields


def _domain(c: Contract, f: Field) -> str:
    return f"record:{c.record_source}" if f.privacy == "key" else hash_domain(f)


def test_a_key_field_is_its_tables_record_id() -> None:
    keys = [(c.table, f.name) for c in CONTRACTS.values() for f in c.fields if f.privacy == "key"]
    assert keys
    assert [(t, n) for t, n in keys if n != CONTRACTS[t].record_id] == []


def test_every_source_record_id_is_pseudonymised() -> None:
    marked = {
        (t, n): CONTRACTS[t].get(n).privacy for t, ns in SOURCE_RECORD_IDS.items() for n in ns
    }
    assert {k: p for k, p in marked.items() if p not in ("key", "hash")} == {}
    extra = {t: record_id_fields(c) for t, c in CONTRACTS.items()}
    assert {t: f for t, f in extra.items() if f != SOURCE_RECORD_IDS.get(t, ())} == {}
    clear = [(c.table, c.get(n).col) for c in CONTRACTS.values() for n in record_id_fields(c)]
    assert [(t, col) for t, col in clear if col in CONTRACTS[t].raw_columns] == []


def test_an_id_held_by_two_tables_hashes_in_one_domain() -> None:
    domains: dict[str, set[str]] = {}
    for c in CONTRACTS.values():
        for f in c.fields:
            if f.privacy in ("key", "hash"):
                domains.setdefault(f.name, set()).add(_domain(c, f))
    shared = {name: d for name, d in domains.items() if len(d) > 1}
    assert shared == {}
    assert domains["DIR_ID"] == {"record:dir_triage"}
    assert domains["EPISODID"] == {"episodid"}
    assert domains["CLIENTID"] == {"record:ndtms"}
