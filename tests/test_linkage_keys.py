"""Person keys on hand-made identity records: carried over, merged with an event, deterministic."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from pipelines.contracts.codes import pnc_check_character
from pipelines.contracts.deliveries import IDENTITY_COLUMNS
from pipelines.linkage.link import link
from pipelines.pseudonymise import keyed_hash, record_key

KEY = "test-linkage-key"


def pnc_id(year: int, serial: int) -> str:
    return f"{year}/{serial:07d}{pnc_check_character(str(year), f'{serial:07d}')}"


def row(source: str, rid: str, month: str, **identity) -> dict:
    base = {c: None for c in IDENTITY_COLUMNS}
    base.update(
        source=source,
        record_key=record_key(KEY, source, rid),
        record_id=rid,
        name_seq=1,
        event_date=dt.date.fromisoformat(f"{month}-10"),
        _delivery_month=month,
    )
    base.update(identity)
    if base.get("pnc_id"):
        base["pnc_id_valid"] = True
    return base


def load(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    con.execute("create schema if not exists identity")
    cols = ", ".join(f"{k} {v}" for k, v in IDENTITY_COLUMNS.items())
    con.execute(f"create table if not exists identity.person_records ({cols})")
    con.register("new_rows", pa.Table.from_pylist(rows))
    con.execute("insert into identity.person_records by name select * from new_rows")
    con.unregister("new_rows")


def spine(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("select record_key, person_key from linkage.spine").fetchall())


@pytest.fixture
def con(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as c:
        yield c


DOB_A = dt.date(1985, 4, 12)
DOB_B = dt.date(1979, 11, 3)
PNC_A = pnc_id(2003, 123456)


def month_one() -> list[dict]:
    return [
        row(
            "pnc",
            PNC_A,
            "2023-01",
            forename="JOHN",
            surname="SMITH",
            dob=DOB_A,
            sex="M",
            pnc_id=PNC_A,
            postcode_district="LS11",
        ),
        row(
            "oasys",
            "OAS1",
            "2023-01",
            forename="JOHN",
            surname="SMITH",
            dob=DOB_A,
            sex="M",
            pnc_id=PNC_A,
        ),
        row(
            "dir_triage",
            "DIR9",
            "2023-01",
            forename="KEVIN",
            surname="OKAFOR",
            dob=DOB_B,
            sex="M",
            prison_number="A1234BC",
        ),
        row("rmdt", "T1", "2023-01", prison_number="A1234BC"),
        row(
            "ndtms",
            "C1",
            "2023-01",
            initials="MW",
            dob=dt.date(1990, 1, 1),
            sex="F",
            postcode_district="M8",
        ),
    ]


def test_first_build_keys_rules_and_no_identifiers(con) -> None:
    load(con, month_one())
    summary = link(con, KEY, "2023-01")
    assert summary.records == 5 and summary.new_records == 5
    keys = spine(con)
    pnc, oasys, dir_, rmdt, ndtms = (r["record_key"] for r in month_one())
    assert keys[pnc] == keys[oasys]
    assert keys[dir_] == keys[rmdt]
    assert len({keys[pnc], keys[dir_], keys[ndtms]}) == 3
    # a new person's key is the keyed hash of its earliest record
    assert keys[ndtms] == keyed_hash(KEY, ndtms, domain="person")
    rules = dict(con.execute("select record_key, match_rule from linkage.spine").fetchall())
    assert rules[pnc] == rules[oasys] == "exact_pnc"
    assert rules[rmdt] == "prison_number"
    assert rules[ndtms] == "singleton"
    # the linkage schema holds no clear identifiers
    text = str(con.execute("select * from linkage.spine").fetchall())
    assert "SMITH" not in text and "A1234BC" not in text and PNC_A not in text


def test_bridging_record_merges_two_persons_and_records_the_event(con) -> None:
    load(con, month_one())
    link(con, KEY, "2023-01")
    before = spine(con)
    pnc, _, dir_, rmdt, ndtms = (r["record_key"] for r in month_one())
    # month two: a release record carrying A's PNC ID and B's prison number + DOB
    bridge = row(
        "dir_release",
        "REL5",
        "2023-02",
        forename="KEVIN",
        surname="OKAFOR",
        dob=DOB_B,
        sex="M",
        prison_number="A1234BC",
        pnc_id=PNC_A,
    )
    load(con, [bridge])
    summary = link(con, KEY, "2023-02")
    assert summary.new_records == 1 and summary.merges == 1
    after = spine(con)
    assert after[pnc] == after[dir_] == after[rmdt] == after[bridge["record_key"]]
    assert after[ndtms] == before[ndtms]
    event, old_keys, new_key, month = con.execute(
        "select event, old_keys, new_key, month from linkage.spine_events"
    ).fetchall()[0]
    assert (event, month) == ("merge", "2023-02")
    assert sorted(old_keys) == sorted({before[pnc], before[dir_]})
    assert new_key in old_keys and new_key == after[pnc]


def test_rerun_without_new_records_changes_nothing(con) -> None:
    load(con, month_one())
    link(con, KEY, "2023-01")
    first = con.execute("select * from linkage.spine order by all").fetchall()
    summary = link(con, KEY, "2023-01")
    assert summary.new_records == 0 and summary.keys_changed == 0
    assert con.execute("select * from linkage.spine order by all").fetchall() == first
