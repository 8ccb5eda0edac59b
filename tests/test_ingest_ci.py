"""Ingest of the whole ``ci`` preset through the real Dagster assets into a temporary DuckDB."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import openpyxl
import pytest

from pipelines.contracts.codes import pnc_check_character, pnc_id_is_valid
from pipelines.contracts.deliveries import CONTRACTS, IDENTITY_TABLES
from pipelines.ingest.contracts_doc import END, START, render_contracts
from pipelines.ingest.landing import delivered_files, landing_months
from pipelines.ingest.load import ensure_tables, load_month
from pipelines.ingest.materialise import failures, materialise_ingest
from pipelines.ingest.protect import KeyedHasher, hash_domain
from pipelines.pseudonymise import keyed_hash, record_key
from pipelines.settings import get_settings

DOCS = Path(__file__).resolve().parents[1] / "docs" / "ingest.md"


@pytest.fixture(scope="module")
def landing(ci_synth: Path) -> Path:
    return ci_synth / "landing"


@pytest.fixture(scope="module")
def months(landing: Path) -> list[str]:
    return landing_months(landing)


@pytest.fixture(scope="module")
def ingested(landing: Path, months: list[str], tmp_path_factory: pytest.TempPathFactory):
    """Every table, every ci month, one run; returns (result, warehouse path)."""
    warehouse = tmp_path_factory.mktemp("ingest_ci") / "warehouse.duckdb"
    result = materialise_ingest(months, landing_dir=landing, warehouse=warehouse)
    return result, warehouse


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def data_rows(path: Path, table: str) -> int:
    """Rows in a delivered file, counted without the ingest code."""
    c = CONTRACTS[table]
    if c.fmt == "jsonl":
        return sum(1 for line in path.read_text().splitlines() if line.strip())
    if c.fmt == "xlsx":
        sheet = openpyxl.load_workbook(path, read_only=True)[c.sheet]
        return sum(1 for row in sheet.iter_rows(min_row=2) if any(x.value for x in row))
    text = path.read_bytes().decode(c.encoding)
    return len(list(csv.reader(io.StringIO(text, newline=""), delimiter=c.delimiter))) - 1


def test_ci_ingest_succeeds_with_every_check_passing(ingested) -> None:
    result, _ = ingested
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 4 * len(CONTRACTS)
    failed = [f"{e.asset_key.to_user_string()}:{e.check_name}" for e in evaluations if not e.passed]
    assert failed == []


def test_every_file_is_in_the_manifest_and_rows_reconcile(ingested, landing, months) -> None:
    _, warehouse = ingested
    manifest = {
        path: (status, read, loaded, quarantined)
        for path, status, read, loaded, quarantined in query(
            warehouse,
            "SELECT path, status, rows_read, rows_loaded, rows_quarantined FROM ops.manifest",
        )
    }
    expected = 0
    for table, c in CONTRACTS.items():
        raw_by_file = dict(
            query(warehouse, f"SELECT _source_file, count(*) FROM raw.{table} GROUP BY ALL")
        )
        for month in months:
            for path in delivered_files(landing, c, month):
                rel = path.relative_to(landing).as_posix()
                status, read, loaded, quarantined = manifest[rel]
                n = data_rows(path, table)
                assert (status, read) == ("loaded", n), rel
                assert read == loaded + quarantined, rel
                assert raw_by_file.get(rel, 0) == loaded, rel
                expected += 1
    assert len(manifest) == expected
    assert expected >= len(CONTRACTS) * len(months) - 5  # tolerate a few missing deliveries


#: Loaded record ids per truth table: clear in ``identity``, else keyed hashes in ``raw``.
RECORD_IDS = {
    **{
        t: f"SELECT DISTINCT record_id FROM identity.person_records WHERE source = "
        f"'{CONTRACTS[t].record_source}'"
        for t in IDENTITY_TABLES
    },
    "pnc_disposal": "SELECT DISTINCT disposal_id_hash FROM raw.pnc_disposal",
    "ndtms_episode": "SELECT DISTINCT episodid_hash FROM raw.ndtms_episode",
}
#: Truth tables whose loaded ids are hashed: the field whose hash domain applies.
HASHED_IDS = {"pnc_disposal": "DISPOSAL_ID", "ndtms_episode": "EPISODID"}


def test_loaded_records_match_the_truth_record_map(ingested, ci_synth: Path) -> None:
    """Every record the simulator wrote is loaded, unless a row of its table was quarantined."""
    _, warehouse = ingested
    truth = ci_synth / "truth" / "record_map.parquet"
    with duckdb.connect() as con:
        rows = con.execute(f"SELECT \"table\", record_id FROM read_parquet('{truth}')").fetchall()
    expected: dict[str, set[str]] = {}
    key = get_settings().pseudo_key
    for table, record_id in rows:
        if table in HASHED_IDS:
            domain = hash_domain(CONTRACTS[table].get(HASHED_IDS[table]))
            record_id = keyed_hash(key, record_id, domain=domain)
        expected.setdefault(table, set()).add(record_id)
    assert set(expected) == set(RECORD_IDS)
    quarantined = dict(
        query(
            warehouse,
            "SELECT table_name, count(DISTINCT (file, row_number)) "
            "FROM ops.quarantine GROUP BY ALL",
        )
    )
    for table, sql in RECORD_IDS.items():
        loaded = {r for (r,) in query(warehouse, sql)}
        assert loaded <= expected[table], table
        missing = len(expected[table] - loaded)
        assert missing <= quarantined.get(table, 0), table
        if not quarantined.get(table):
            assert loaded == expected[table], table


def test_rematerialising_the_range_changes_nothing(ingested, landing, months) -> None:
    _, warehouse = ingested
    tables = ["ops.manifest", "ops.quarantine", "identity.person_records"]
    tables += [f"raw.{t}" for t in CONTRACTS]
    digest = "SELECT count(*), sum(hash(t)) FROM {} t"
    before = [query(warehouse, digest.format(t)) for t in tables]
    again = materialise_ingest(months, landing_dir=landing, warehouse=warehouse)
    assert again.success
    assert [query(warehouse, digest.format(t)) for t in tables] == before
    skipped = [
        m.metadata["months_skipped_unchanged"].value
        for m in again.asset_materializations_for_node("raw__pnc_person")
    ]
    assert skipped[0] == len(months)


def test_single_partition_key_loads_that_month(landing, months, tmp_path: Path) -> None:
    warehouse = tmp_path / "one.duckdb"
    month = months[-1]
    from pipelines.ingest.materialise import ingest_selection
    from pipelines.resources import WarehouseResource

    result = dg.materialize(
        ingest_selection(["dir_release"]),
        partition_key=month,
        instance=dg.DagsterInstance.ephemeral(),
        resources={
            "warehouse": WarehouseResource(warehouse=str(warehouse), landing_dir=str(landing))
        },
    )
    assert result.success
    (path,) = delivered_files(landing, CONTRACTS["dir_release"], month)
    assert query(warehouse, "SELECT DISTINCT _delivery_month FROM raw.dir_release") == [(month,)]
    assert query(warehouse, "SELECT count(*) FROM raw.dir_release")[0][0] == data_rows(
        path, "dir_release"
    )


def test_keys_and_hashes_are_the_documented_hmacs(ingested) -> None:
    _, warehouse = ingested
    key = get_settings().pseudo_key
    rows = query(
        warehouse,
        "SELECT i.record_key, i.record_id, i.pnc_id, d.pnc_id_hash, d.prison_number_hash, "
        "i.prison_number FROM identity.person_records i JOIN raw.dir_triage d "
        "USING (record_key) WHERE i.source = 'dir_triage' AND i.pnc_id IS NOT NULL LIMIT 20",
    )
    assert rows
    for rk, rid, pnc, pnc_hash, pn_hash, pn in rows:
        assert rk == record_key(key, "dir_triage", rid)
        assert pnc_hash == keyed_hash(key, pnc, domain="pnc_id")
        assert pn_hash == keyed_hash(key, pn, domain="prison_number")
    # equal identifiers hash equally across sources: DIR PNC IDs join to PNC person records
    joined = query(
        warehouse,
        "SELECT count(*) FROM raw.dir_triage d JOIN raw.pnc_person p USING (pnc_id_hash)",
    )[0][0]
    assert joined > 0


def _identifiers(landing: Path) -> tuple[set[str], set[str]]:
    """(identifier strings, dates of birth) read straight from the landing files."""
    values: set[str] = set()
    dobs: set[str] = set()
    id_fields = {
        "pnc_person": ["PNC_ID", "CRO_NO", "SURNAME", "FORENAMES", "POSTCODE_DISTRICT"],
        "pnc_disposal": ["PNC_ID"],
        "dir_triage": ["SURNAME", "FORENAME", "PRISON_NUMBER", "PNC_ID"],
        "dir_release": ["SURNAME", "FORENAME", "PRISON_NUMBER", "PNC_ID", "POSTCODE_DISTRICT"],
        "ndtms_client": ["PC"],
    }
    dob_fields = {
        "pnc_person": "DOB",
        "dir_triage": "DOB",
        "dir_release": "DOB",
        "ndtms_client": "DOB",
    }
    for table, fields in id_fields.items():
        c = CONTRACTS[table]
        for path in sorted((landing / c.source).glob(f"*/{c.file_prefix}*")):
            text = path.read_bytes().decode(c.encoding)
            for row in csv.DictReader(io.StringIO(text, newline=""), delimiter=c.delimiter):
                for f in fields:
                    values.update((row[f] or "").upper().split())
                    values.add((row[f] or "").strip().upper())
                if table in dob_fields and row[dob_fields[table]]:
                    dobs.add(row[dob_fields[table]].strip())
    for path in sorted(landing.glob("oasys/*/*.jsonl")):
        for line in path.read_text().splitlines():
            o = json.loads(line)["offender"]
            for f in ("pnc_id", "prison_number", "crn", "surname", "forename", "offender_pk"):
                values.update((o.get(f) or "").upper().split())
            dobs.add(o["dob"] or "")
    for path in sorted(landing.glob("rmdt/*/*.xlsx")):
        sheet = openpyxl.load_workbook(path, read_only=True)["tests"]
        rows = sheet.iter_rows(values_only=True)
        col = next(rows).index("PRISON_NUMBER")
        values.update(str(r[col]).upper() for r in rows if r[col])
    codes = {code for c in CONTRACTS.values() for f in c.fields for code in (f.codes or ())}
    values = {v for v in values if len(v) >= 4 and v not in codes}
    return values, {d for d in dobs if d}


def test_no_identifier_outside_the_identity_schema(ingested, landing: Path) -> None:
    _, warehouse = ingested
    identifiers, dobs = _identifiers(landing)
    assert len(identifiers) > 100 and len(dobs) > 100
    columns = query(
        warehouse,
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema <> 'identity' ORDER BY ALL",
    )
    assert {s for s, *_ in columns} >= {"raw", "ops"}
    leaks = []
    for schema, table, column, dtype in columns:
        if dtype == "DATE":
            continue  # dates are compared to each record's own DOB below
        found = {
            v
            for (v,) in query(
                warehouse,
                f'SELECT DISTINCT upper(trim(CAST("{column}" AS VARCHAR))) '
                f'FROM {schema}.{table} WHERE "{column}" IS NOT NULL',
            )
        }
        words = {w for v in found for w in v.split()} | found
        hit = (words & identifiers) | (found & dobs)
        if hit:
            leaks.append(f"{schema}.{table}.{column}: {sorted(hit)[:3]}")
    for schema, table, column, dtype in columns:
        if dtype == "DATE" and schema == "raw" and "record_key" in CONTRACTS[table].raw_columns:
            # a copied DOB column matches (nearly) every row; an event falling on someone's
            # birthday by chance matches a handful
            same, rows = query(
                warehouse,
                f'SELECT count(*) FILTER (r."{column}" = i.dob), count(*) FROM raw.{table} r '
                "JOIN identity.person_records i ON r.record_key = i.record_key",
            )[0]
            if same > max(1, 0.001 * rows):
                leaks.append(f"raw.{table}.{column}: {same} of {rows} are the record's DOB")
    assert leaks == []


def test_raw_has_no_names_dobs_or_clear_identifiers(ingested) -> None:
    _, warehouse = ingested
    forbidden = {
        "surname",
        "forename",
        "forenames",
        "dob",
        "pnc_id",
        "prison_number",
        "crn",
        "cro_no",
        "postcode_district",
        "pc",
        "finitial",
        "sinitial",
        "offender_pk",
        *(f.col for c in CONTRACTS.values() for f in c.fields if f.privacy in ("key", "hash")),
    }
    columns = query(
        warehouse,
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema='raw'",
    )
    assert [f"{t}.{c}" for t, c in columns if c in forbidden] == []


def test_pnc_check_character() -> None:
    assert pnc_check_character("2012", "0123456") == "ZABCDEFGHJKLMNPQRTUVWXY"[120123456 % 23]
    valid = "2012/0123456" + pnc_check_character("2012", "0123456")
    assert pnc_id_is_valid(valid)
    assert not pnc_id_is_valid(valid[:-1] + ("A" if valid[-1] != "A" else "B"))
    assert not pnc_id_is_valid("12/0123456A")


def test_contract_tables_in_docs_are_generated_from_the_contracts() -> None:
    text = DOCS.read_text()
    generated = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert generated == render_contracts(), "run `outcomes contracts-doc`"


def _digests(warehouse: Path) -> list[list[tuple]]:
    """Row count and order-free hash of every ingest table (manifest without load times)."""
    tables = ["ops.quarantine", "identity.person_records", *(f"raw.{t}" for t in CONTRACTS)]
    manifest = "(SELECT * EXCLUDE (loaded_at) FROM ops.manifest)"
    return [
        query(warehouse, f"SELECT count(*), sum(hash(t)) FROM {t} t") for t in [manifest, *tables]
    ]


def test_months_prepared_ahead_load_exactly_what_one_month_at_a_time_loads(
    ingested, landing, months, tmp_path: Path
) -> None:
    """The default ingest (threads preparing months ahead) and worker processes load the same
    rows, quarantine and manifest as loading each month in turn with nothing ahead."""
    _, threaded = ingested
    serial = tmp_path / "serial.duckdb"
    hasher = KeyedHasher(get_settings().pseudo_key)
    with duckdb.connect(str(serial)) as con:
        ensure_tables(con, list(CONTRACTS.values()))
        for contract in CONTRACTS.values():
            for month in months:
                load_month(con, contract, landing, month, hasher)
    parallel = tmp_path / "parallel.duckdb"
    result = materialise_ingest(months, landing_dir=landing, warehouse=parallel, workers=2)
    assert result.success
    assert _digests(threaded) == _digests(serial)
    assert _digests(parallel) == _digests(serial)


@pytest.mark.parametrize("workers", [1, 2], ids=["threads", "processes"])
def test_months_prepared_ahead_stop_at_a_rejected_file(
    landing, months, tmp_path: Path, workers: int
) -> None:
    """A bad file in the second month: the first is loaded, the bad month recorded as
    rejected, later months (already being prepared) stay unloaded."""
    copy = tmp_path / "landing"
    shutil.copytree(landing, copy)
    (bad,) = delivered_files(copy, CONTRACTS["dir_release"], months[1])
    bad.write_bytes(b"")
    warehouse = tmp_path / "w.duckdb"
    result = materialise_ingest(
        months, landing_dir=copy, warehouse=warehouse, tables=["dir_release"], workers=workers
    )
    assert not result.success
    rel = bad.relative_to(copy).as_posix()
    assert failures(result) == [f"dir_release {months[1]}: {rel}: empty file (0 bytes)"]
    assert query(warehouse, "SELECT DISTINCT _delivery_month FROM raw.dir_release") == [
        (months[0],)
    ]
    statuses = query(
        warehouse,
        "SELECT delivery_month, status FROM ops.manifest WHERE table_name = "
        "'dir_release' ORDER BY ALL",
    )
    assert statuses == [(months[0], "loaded"), (months[1], "rejected")]
