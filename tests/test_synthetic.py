"""The synthetic simulator on the ``ci`` preset: determinism, formats, identifiers, truth, noise."""

from __future__ import annotations

import io
import json
from pathlib import Path

import fastexcel
import openpyxl
import polars as pl
import pytest

from pipelines.contracts.deliveries import CONTRACTS
from pipelines.synthetic import NoiseConfig, generate
from pipelines.synthetic.ogrs3 import ogrs3
from pipelines.synthetic.writers import write_table

CI_SEED = 7  # the seed of the ``ci_synth`` fixture (tests/conftest.py)

ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"


def files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".done"
    }


def table_files(root: Path, table: str) -> list[Path]:
    c = CONTRACTS[table]
    return sorted((root / "landing" / c.source).glob(f"*/{c.file_prefix}*{c.suffix}"))


def read_csv(path: Path, table: str) -> pl.DataFrame:
    c = CONTRACTS[table]
    text = path.read_bytes().decode(c.encoding)
    frame = pl.read_csv(
        io.StringIO(text),
        separator=c.delimiter,
        infer_schema=False,
        null_values=list(c.null_values),
    )
    return frame.with_columns(pl.col(n).str.to_date(c.date_format) for n in c.date_fields)


def read_all(root: Path, table: str) -> pl.DataFrame:
    return pl.concat([read_csv(p, table) for p in table_files(root, table)])


def pnc_valid(value: str) -> bool:
    """Independent check: ``YYYY/NNNNNNNC`` with C = ALPHABET[int(YY + NNNNNNN) % 23]."""
    year, rest = value.split("/")
    return len(year) == 4 and len(rest) == 8 and ALPHABET[int(year[2:] + rest[:7]) % 23] == rest[7]


def test_same_seed_is_byte_identical_and_other_seed_differs(ci_synth: Path, tmp_path: Path):
    again = tmp_path / "again"
    generate(again, preset="ci", seed=CI_SEED)
    first, second = files(ci_synth), files(again)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
    other = tmp_path / "other"
    generate(other, preset="ci", seed=CI_SEED + 1)
    third = files(other)
    changed = [k for k in first if k in third and first[k] != third[k]]
    assert len(changed) > 0.9 * len(first)


def test_layout_every_month_every_table(ci_synth: Path):
    months = sorted(p.name for p in (ci_synth / "landing" / "pnc").iterdir())
    assert months[0] == "2023-01" and months[-1] == "2024-12" and len(months) == 24
    for table in CONTRACTS:
        found = table_files(ci_synth, table)
        assert len(found) == 24, table
        for path in found:
            assert path.parent.name.replace("-", "") in path.name
            assert path.stat().st_size > 0
    assert (ci_synth / "calibration.md").exists() and (ci_synth / "calibration.json").exists()


def test_pnc_files_parse_with_declared_types(ci_synth: Path):
    person = read_all(ci_synth, "pnc_person")
    assert person.columns[:3] == ["PNC_ID", "CRO_NO", "NAME_SEQ"]
    assert person["NAME_SEQ"].cast(pl.Int64).min() == 1
    assert person["DOB"].null_count() == 0
    assert set(person["SEX"].unique()) == {"M", "F"}
    assert (person["SURNAME"] == person["SURNAME"].str.to_uppercase()).all()
    # aliases repeat the PNC ID; each file holds one row per (PNC_ID, NAME_SEQ)
    for path in table_files(ci_synth, "pnc_person"):
        f = read_csv(path, "pnc_person")
        assert f.select("PNC_ID", "NAME_SEQ").is_duplicated().sum() == 0
    assert person.filter(pl.col("NAME_SEQ") == "2").height > 0
    disposal = read_all(ci_synth, "pnc_disposal")
    assert disposal["DISPOSAL_ID"].is_unique().all()
    assert (disposal["DISPOSAL_DATE"] >= disposal["OFFENCE_DATE"]).all()
    codes = {"1002", "1115", "1116", "1015", "1018", "3000", "3052", "2006"}
    assert set(disposal["RESULT_CODE"].unique()) <= codes
    # penalty notices and acquittals are on the PNC too (they prove no offence)
    assert {"CONV", "CAUT", "PND", "ACQ"} <= set(disposal["DISPOSAL_TYPE"].unique())
    custody = disposal.filter(pl.col("RESULT_CODE") == "1002")
    assert custody["SENTENCE_DAYS"].cast(pl.Int64).min() > 0
    assert disposal["HO_CLASS"].str.contains(r"^\d{3}/\d{2}$").all()


def test_dir_is_cp1252_crlf_with_uk_dates(ci_synth: Path):
    raw = b"".join(p.read_bytes() for p in table_files(ci_synth, "dir_triage"))
    assert b"\r\n" in raw and raw.count(b"\n") == raw.count(b"\r\n")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # names such as Zoë / Müller are single cp1252 bytes
    triage = read_all(ci_synth, "dir_triage")
    assert triage["TRIAGE_DATE"].null_count() == 0
    assert set(triage["TREATMENT_NEED"].unique()) == {"Y", "N"}
    release = read_all(ci_synth, "dir_release")
    assert set(release["RELEASE_TYPE"].unique()) >= {"CONDITIONAL", "TRANSFER"}
    assert release["RELEASE_ID"].is_unique().all()


def test_ndtms_tables_parse_with_na_nulls(ci_synth: Path):
    client = read_all(ci_synth, "ndtms_client")
    assert client["CLIENTID"].is_unique().all()
    assert client["FINITIAL"].str.contains("^[A-Z]$").all()
    episode = read_all(ci_synth, "ndtms_episode")
    closed = episode.filter(pl.col("DISD").is_not_null())
    assert (closed["DISD"] >= closed["TRIAGED"]).all()
    # re-delivered when closed: the latest delivery of an id has the discharge
    assert episode["EPISODID"].n_unique() < episode.height
    assert set(episode["SETTING"].unique()) == {"COMMUNITY", "SECURE"}
    assert episode["CLIENTID"].is_in(client["CLIENTID"].implode()).all()
    top = read_all(ci_synth, "ndtms_top")
    days = top.select(pl.col("OPIUSE", "CRAUSE", "IVDRGUSE").cast(pl.Int64))
    assert days.min().row(0) >= (0, 0, 0) and days.max().row(0) <= (28, 28, 28)
    assert set(top["TRSTAGE"].unique()) >= {"S", "R", "E"}
    modality = read_all(ci_synth, "ndtms_modality")
    assert set(modality["MODAL"].unique()) >= {"PHARM", "PSY", "RECOV", "MUTAID", "FAMSUP"}


def test_oasys_jsonl_nested_sorted_keys(ci_synth: Path):
    n = 0
    for path in table_files(ci_synth, "oasys_assessment"):
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            assert list(rec) == sorted(rec)
            assert list(rec["sections"]) == sorted(rec["sections"])
            assert len(rec["sections"]) == 10
            assert 0 <= rec["sections"]["drugs"]["score"] <= 8
            assert 0 < rec["ogrs3"]["p1"] < rec["ogrs3"]["p2"] < 1
            n += 1
    assert n > 100
    frame = pl.read_ndjson(table_files(ci_synth, "oasys_assessment")[-1])
    assert frame.schema["sections"].fields[0].name == "accommodation"


def test_rmdt_xlsx_reads_with_fastexcel_and_openpyxl(ci_synth: Path):
    path = table_files(ci_synth, "rmdt_test")[5]
    sheet = fastexcel.read_excel(path).load_sheet_by_name("tests")
    frame = sheet.to_polars()
    assert frame.columns[:3] == ["TEST_ID", "ESTABLISHMENT", "TEST_DATE"]
    assert frame.schema["TEST_DATE"] in (pl.Date, pl.Datetime("ms"))
    assert frame.height > 0
    assert frame["TEST_DATE"].cast(pl.Date).dt.strftime("%Y-%m").unique().to_list() == [
        path.parent.name
    ]
    ws = openpyxl.load_workbook(path, read_only=True)["tests"]
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == frame.height + 1
    tested = frame.filter(pl.col("SAMPLE_STATUS") == "TESTED")
    assert tested["OPIATES"].is_in(["POS", "NEG"]).all()
    assert frame.filter(pl.col("SAMPLE_STATUS") != "TESTED")["OPIATES"].null_count() == (
        frame.filter(pl.col("SAMPLE_STATUS") != "TESTED").height
    )


def test_every_pnc_id_has_a_valid_check_character(ci_synth: Path):
    ids = set(read_all(ci_synth, "pnc_person")["PNC_ID"].to_list())
    ids |= set(read_all(ci_synth, "pnc_disposal")["PNC_ID"].to_list())
    for table in ("dir_triage", "dir_release"):
        ids |= set(read_all(ci_synth, table)["PNC_ID"].drop_nulls().to_list())
    for path in table_files(ci_synth, "oasys_assessment"):
        ids |= {json.loads(x)["offender"]["pnc_id"] for x in path.read_text().splitlines()}
    ids.discard(None)
    assert len(ids) > 1000
    assert [i for i in ids if not pnc_valid(i)] == []


def test_every_record_maps_to_a_true_person(ci_synth: Path):
    truth = ci_synth / "truth"
    people = pl.read_parquet(truth / "people.parquet")
    record_map = pl.read_parquet(truth / "record_map.parquet")
    assert record_map["person_id"].is_in(people["person_id"].implode()).all()
    keys = set(zip(record_map["table"], record_map["record_id"], strict=True))
    ids = {
        "pnc_person": ("PNC_ID",), "pnc_disposal": ("DISPOSAL_ID",), "dir_triage": ("DIR_ID",),
        "dir_release": ("RELEASE_ID",), "ndtms_client": ("CLIENTID",),
        "ndtms_episode": ("EPISODID",),
    }  # fmt: skip
    for table, (col,) in ids.items():
        values = set(read_all(ci_synth, table)[col].to_list())
        assert {(table, v) for v in values} <= keys, table
    for path in table_files(ci_synth, "oasys_assessment"):
        for line in path.read_text().splitlines():
            assert ("oasys_assessment", json.loads(line)["assessment_id"]) in keys
    tests = pl.concat(
        fastexcel.read_excel(p).load_sheet_by_name("tests").to_polars().select("TEST_ID")
        for p in table_files(ci_synth, "rmdt_test")
    )
    assert {("rmdt_test", v) for v in tests["TEST_ID"]} <= keys
    # one PNC ID belongs to exactly one person; rare duplicates give a person two IDs
    pnc = record_map.filter(pl.col("table") == "pnc_person")
    assert pnc["record_id"].is_unique().all()
    assert pnc["person_id"].n_unique() < pnc.height


def test_truth_releases_match_the_dir_release_records(ci_synth: Path):
    truth = pl.read_parquet(ci_synth / "truth" / "releases.parquet")
    dir_release = read_all(ci_synth, "dir_release")
    assert truth.height == dir_release.height
    assert set(truth["release_id"]) == set(dir_release["RELEASE_ID"])
    community = truth.filter(pl.col("release_type").is_in(["CONDITIONAL", "END_OF_SENTENCE"]))
    engaged = community.filter(pl.col("engaged_community_date").is_not_null())
    assert (engaged["engaged_community_date"] >= engaged["release_date"]).all()
    episodes = pl.read_parquet(ci_synth / "truth" / "treatment_episodes.parquet")
    assert episodes.filter(pl.col("discharge_reason") == 87).height > 0  # deaths in treatment


def test_noise_rates_within_20_percent_of_configured(ci_synth: Path):
    noise = json.loads((ci_synth / "truth" / "noise.json").read_text())
    checked = 0
    for source, kinds in noise.items():
        for kind, x in kinds.items():
            if x["configured"] * x["eligible"] >= 10:
                assert abs(x["achieved"] - x["configured"]) <= 0.2 * x["configured"], (source, kind)
                checked += 1
    assert checked >= 12
    # independently: DOBs in DIR files that differ from the true DOB
    truth = pl.read_parquet(ci_synth / "truth" / "people.parquet").select("person_id", "dob")
    rmap = pl.read_parquet(ci_synth / "truth" / "record_map.parquet")
    triage = read_all(ci_synth, "dir_triage").join(
        rmap.filter(pl.col("table") == "dir_triage"), left_on="DIR_ID", right_on="record_id"
    )
    wrong = triage.join(truth, on="person_id").filter(pl.col("DOB") != pl.col("dob")).height
    expected = NoiseConfig().dir.dob_year + NoiseConfig().dir.dob_transpose * 0.36
    assert 0.5 * expected <= wrong / triage.height <= 1.5 * expected


def test_clean_noise_config_writes_true_identities(tmp_path: Path):
    result = generate(tmp_path, preset="ci", seed=3, people=1500, noise=NoiseConfig.none())
    truth = pl.read_parquet(result.truth / "people.parquet")
    rmap = pl.read_parquet(result.truth / "record_map.parquet")
    triage = read_all(tmp_path, "dir_triage").join(
        rmap.filter(pl.col("table") == "dir_triage"), left_on="DIR_ID", right_on="record_id"
    )
    joined = triage.join(truth, on="person_id")
    assert (joined["DOB"] == joined["dob"]).all()
    assert (joined["SURNAME"].str.to_uppercase() == joined["surname"]).all()
    assert result.rows["dir_triage"] == triage.height


def test_writer_refuses_columns_the_contract_does_not_declare(tmp_path: Path):
    top = [f.name for f in CONTRACTS["ndtms_top"].fields]
    frame = pl.DataFrame({"_month": ["2024-01"], **{n: [None] for n in top}, "EXTRA": ["x"]})
    with pytest.raises(ValueError, match=r"ndtms_top.*EXTRA"):
        write_table(frame, "ndtms_top", tmp_path, ["2024-01"])
    assert not list(tmp_path.rglob("*.csv"))


def test_ogrs3_worked_example():
    p1, p2 = ogrs3([30], ["M"], [6], [16], ["burglary_domestic"])
    assert round(float(p1[0]), 3) == 0.211
    assert round(float(p2[0]), 3) == 0.354


def test_default_output_passes_the_ingest_contracts(ci_synth: Path):
    from pipelines.ingest.readers import read_file
    from pipelines.ingest.validate import validate

    for name, contract in CONTRACTS.items():
        paths = table_files(ci_synth, name)
        assert paths, name
        for path in paths:
            checked = validate(read_file(path, contract).frame, contract, path.parent.name)
            assert checked.rows_quarantined == 0, (name, path, checked.quarantine.head())


def test_chunked_run_has_unique_ids_and_passes_contracts(tmp_path: Path):
    """A population simulated in chunks (as the national preset is) merges cleanly."""
    from pipelines.ingest.readers import read_file
    from pipelines.ingest.validate import validate

    result = generate(tmp_path, preset="ci", seed=5, people=3000, months=12, chunk_people=1500)
    rmap = pl.read_parquet(result.truth / "record_map.parquet")
    assert rmap.select("table", "record_id").is_duplicated().sum() == 0
    people = pl.read_parquet(result.truth / "people.parquet")
    assert people.height == 3000 and people["prison_number"].is_unique().all()
    assert set(rmap["person_id"].unique()) <= set(people["person_id"])
    for name, contract in CONTRACTS.items():
        for path in table_files(tmp_path, name):
            checked = validate(read_file(path, contract).frame, contract, path.parent.name)
            assert checked.rows_quarantined == 0, (name, path)
    assert not (tmp_path / ".parts").exists()
