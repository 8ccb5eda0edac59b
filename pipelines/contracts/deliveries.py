"""Source contracts: the one declaration of every delivered table (see ``docs/extracts.md``).

The loader validates against these, the tests damage files against them and
``outcomes contracts-doc`` renders them into ``docs/ingest.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pipelines.contracts.codes import (
    FREQUENCIES,
    INJECTING,
    NDTMS_ETHNICITY,
    OASYS_SECTIONS,
    PNC_ETHNICITY,
    PNC_ID_PATTERN,
    RMDT_DRUGS,
    RMDT_RESULTS,
    ROUTES,
    SEX,
    SUBSTANCES,
)

Kind = Literal["text", "int", "float", "date", "bool"]
#: How an identifying field is protected: hashed into ``<column>_hash``, dropped from ``raw``
#: (kept in ``identity`` only), a date of birth reduced to ``birth_year``/``birth_month``, or the
#: table's own record id, in ``raw`` only as its keyed hash ``record_key``.
Privacy = Literal["hash", "drop", "dob", "key"]

CRO_PATTERN = r"^\d{1,6}/\d{2}[A-Z]$"
PRISON_NUMBER_PATTERN = r"^[A-Z]\d{4}[A-Z]{2}$"

#: Quarantine rate (quarantined / read, worst file in the run) that warns, and that fails.
QUARANTINE_WARN = 0.02
QUARANTINE_ERROR = 0.20


@dataclass(frozen=True)
class Field:
    """One delivered field and the rules its values must meet."""

    name: str
    kind: Kind = "text"
    required: bool = False
    codes: tuple[str, ...] | None = None
    pattern: str | None = None
    pnc_check: bool = False
    min_value: float | None = None
    max_value: float | None = None
    #: dates: must not fall after the end of the delivery month
    not_after_delivery: bool = False
    privacy: Privacy | None = None
    #: HMAC domain of a hashed id shared with another table (default: ``identity``, else ``col``)
    domain: str | None = None
    #: column of ``identity.person_records`` that receives the clear value
    identity: str | None = None
    #: an identifier that breaks its format is kept and flagged instead of quarantined
    flag_invalid: bool = False
    column: str | None = None

    @property
    def col(self) -> str:
        """Column name in ``raw`` (lower snake case of the source name)."""
        return self.column or re.sub(r"[^a-z0-9]+", "_", self.name.lower()).strip("_")

    @property
    def duckdb_type(self) -> str:
        return {
            "text": "VARCHAR",
            "int": "INTEGER",
            "float": "DOUBLE",
            "date": "DATE",
            "bool": "BOOLEAN",
        }[self.kind]


@dataclass(frozen=True)
class Contract:
    """One source table: where it lands, how it is encoded and what each field must hold."""

    table: str
    source: str
    file_prefix: str
    suffix: str
    fmt: Literal["csv", "jsonl", "xlsx"]
    fields: tuple[Field, ...]
    unique: tuple[str, ...]
    description: str
    delimiter: str = ","
    encoding: str = "utf-8"
    line_terminator: str = "\n"
    #: what the source writes for a missing value (readers also take an empty field)
    null_value: str = ""
    date_format: str = "%Y-%m-%d"
    sheet: str | None = None
    #: ``record_key`` = HMAC("record:<record_source>|<record_id field>")
    record_source: str | None = None
    record_id: str | None = None
    #: this table writes one ``identity.person_records`` row per loaded row
    identity: bool = False
    event_date: str | None = None
    #: (earlier, later) field pairs: the later date may not precede the earlier
    date_order: tuple[tuple[str, str], ...] = ()

    def file_name(self, month: str) -> str:
        return f"{self.file_prefix}{month.replace('-', '')}{self.suffix}"

    @property
    def null_values(self) -> tuple[str, ...]:
        """Values read as missing: the empty field and the source's own marker."""
        return tuple(dict.fromkeys(("", self.null_value)))

    @property
    def date_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.kind == "date")

    def get(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def raw_column(self, name: str) -> str | None:
        """Column of ``raw.<table>`` holding field ``name`` or its pseudonym (None: not kept)."""
        f = self.get(name)
        return {
            "hash": f"{f.col}_hash",
            "dob": "birth_year",
            "key": "record_key",
            None: f.col,
        }.get(f.privacy)

    @property
    def raw_columns(self) -> dict[str, str]:
        """Columns of ``raw.<table>`` and their DuckDB types, in order."""
        cols: dict[str, str] = {}
        if self.record_source:
            cols["record_key"] = "VARCHAR"
        for f in self.fields:
            if f.privacy == "hash":
                cols[f"{f.col}_hash"] = "VARCHAR"
            elif f.privacy == "dob":
                cols["birth_year"] = "INTEGER"
                cols["birth_month"] = "INTEGER"
            elif f.privacy is None:
                cols[f.col] = f.duckdb_type
        cols |= {"_delivery_month": "VARCHAR", "_source_file": "VARCHAR", "_row_number": "INTEGER"}
        return cols


def _pnc_id(name: str = "PNC_ID", required: bool = False, flag: bool = True) -> Field:
    return Field(
        name,
        required=required,
        pattern=PNC_ID_PATTERN,
        pnc_check=True,
        privacy="hash",
        identity="pnc_id",
        flag_invalid=flag,
    )


def _prison_number(name: str = "PRISON_NUMBER", required: bool = False) -> Field:
    return Field(
        name,
        required=required,
        pattern=PRISON_NUMBER_PATTERN,
        privacy="hash",
        identity="prison_number",
        flag_invalid=True,
    )


_PNC = {"delimiter": "|", "date_format": "%Y%m%d", "suffix": ".psv", "fmt": "csv"}
_DIR = {
    "encoding": "cp1252",
    "line_terminator": "\r\n",
    "date_format": "%d/%m/%Y",
    "suffix": ".csv",
    "fmt": "csv",
}
_NDTMS = {"null_value": "NA", "suffix": ".csv", "fmt": "csv"}


def _dir_identity(required_dob: bool) -> tuple[Field, ...]:
    return (
        Field("SURNAME", privacy="drop", identity="surname"),
        Field("FORENAME", privacy="drop", identity="forename"),
        Field(
            "DOB",
            "date",
            required=required_dob,
            privacy="dob",
            identity="dob",
            not_after_delivery=True,
        ),
        Field("SEX", required=required_dob, codes=SEX, identity="sex"),
    )


def _dir_substances() -> tuple[Field, ...]:
    fields: list[Field] = []
    for i in (1, 2, 3):
        fields += [
            Field(f"SUBSTANCE_{i}", codes=SUBSTANCES),
            Field(f"ROUTE_{i}", codes=ROUTES),
            Field(f"FREQUENCY_{i}", codes=FREQUENCIES),
        ]
    return tuple(fields)


def _oasys_sections() -> tuple[Field, ...]:
    fields: list[Field] = []
    for s in OASYS_SECTIONS:
        fields += [
            Field(
                f"sections.{s}.score", "int", True, min_value=0, max_value=8, column=f"{s}_score"
            ),
            Field(f"sections.{s}.need", "bool", column=f"{s}_need"),
            Field(f"sections.{s}.linked_to_reoffending", "bool", column=f"{s}_linked"),
        ]
    return tuple(fields)


def _days(name: str) -> Field:
    return Field(name, "int", min_value=0, max_value=28)


CONTRACTS: dict[str, Contract] = {
    c.table: c
    for c in (
        Contract(
            "pnc_person",
            "pnc",
            "pnc_person_",
            description="PNC person record, one row per name (aliases repeat the PNC ID)",
            unique=("PNC_ID", "NAME_SEQ"),
            record_source="pnc",
            record_id="PNC_ID",
            identity=True,
            fields=(
                _pnc_id(required=True, flag=False),
                Field(
                    "CRO_NO",
                    pattern=CRO_PATTERN,
                    privacy="drop",
                    identity="cro_no",
                    flag_invalid=True,
                ),
                Field("NAME_SEQ", "int", True, min_value=1, identity="name_seq"),
                Field("SURNAME", required=True, privacy="drop", identity="surname"),
                Field("FORENAMES", required=True, privacy="drop", identity="forenames"),
                Field("DOB", "date", True, privacy="dob", identity="dob", not_after_delivery=True),
                Field("SEX", required=True, codes=SEX, identity="sex"),
                Field("ETHNICITY", codes=PNC_ETHNICITY),
                Field("POSTCODE_DISTRICT", privacy="drop", identity="postcode_district"),
            ),
            **_PNC,
        ),
        Contract(
            "pnc_disposal",
            "pnc",
            "pnc_disposal_",
            description=(
                "PNC offences disposed of (convictions, cautions, reprimands and final warnings;"
                " also penalty notices and acquittals, which prove no offence)"
            ),
            unique=("DISPOSAL_ID",),
            record_source="pnc",
            record_id="PNC_ID",
            date_order=(("OFFENCE_DATE", "DISPOSAL_DATE"),),
            fields=(
                Field("DISPOSAL_ID", required=True, privacy="hash"),
                _pnc_id(required=True, flag=False),
                Field("ARREST_DATE", "date", not_after_delivery=True),
                Field("OFFENCE_DATE", "date", True, not_after_delivery=True),
                Field("CJS_CODE", required=True, pattern=r"^[A-Z]{2}\d{5}$"),
                Field("HO_CLASS", required=True, pattern=r"^\d{3}/\d{2}$"),
                Field(
                    "DISPOSAL_TYPE",
                    required=True,
                    codes=("CONV", "CAUT", "REPR", "FWRN", "PND", "ACQ"),
                ),
                Field("DISPOSAL_DATE", "date", True, not_after_delivery=True),
                Field("COURT_CODE"),
                Field(
                    "RESULT_CODE",
                    required=True,
                    codes=("1002", "1115", "1116", "1015", "1018", "3000", "3052", "2006"),
                ),
                Field("SENTENCE_DAYS", "int", min_value=0),
                Field("DRR", "bool"),
            ),
            **_PNC,
        ),
        Contract(
            "oasys_assessment",
            "oasys",
            "oasys_assessments_",
            ".jsonl",
            "jsonl",
            description="OASys assessments (nested JSON flattened; sections as score/need/linked)",
            unique=("assessment_id",),
            record_source="oasys",
            record_id="assessment_id",
            identity=True,
            event_date="assessment_date",
            date_order=(("offender.dob", "assessment_date"),),
            fields=(
                Field("assessment_id", required=True, privacy="key"),
                Field(
                    "assessment_type",
                    required=True,
                    codes=("START_CUSTODY", "PRE_RELEASE", "COMMUNITY_START", "REVIEW"),
                ),
                Field("assessment_date", "date", True, not_after_delivery=True),
                Field("establishment_code"),
                Field("probation_region"),
                Field("offender.offender_pk", privacy="hash", column="offender_pk"),
                _pnc_id("offender.pnc_id"),
                _prison_number("offender.prison_number"),
                Field("offender.crn", privacy="hash", identity="crn", column="crn"),
                Field("offender.surname", privacy="drop", identity="surname", column="surname"),
                Field("offender.forename", privacy="drop", identity="forename", column="forename"),
                Field(
                    "offender.dob",
                    "date",
                    True,
                    privacy="dob",
                    identity="dob",
                    column="dob",
                    not_after_delivery=True,
                ),
                Field("offender.sex", required=True, codes=SEX, identity="sex", column="sex"),
                Field("offender.ethnicity", codes=PNC_ETHNICITY, column="ethnicity"),
                Field("index_offence.ho_class", pattern=r"^\d{3}/\d{2}$", column="ho_class"),
                Field("index_offence.ogrs3_category", column="ogrs3_category"),
                *_oasys_sections(),
                Field("ogrs3.p1", "float", min_value=0, max_value=1, column="ogrs3_p1"),
                Field("ogrs3.p2", "float", min_value=0, max_value=1, column="ogrs3_p2"),
            ),
        ),
        Contract(
            "dir_triage",
            "dir",
            "dir_triage_",
            description="DIR substance-misuse triage at prison reception",
            unique=("DIR_ID",),
            record_source="dir_triage",
            record_id="DIR_ID",
            identity=True,
            event_date="TRIAGE_DATE",
            date_order=(("DOB", "TRIAGE_DATE"),),
            fields=(
                Field("DIR_ID", required=True, privacy="key"),
                Field("TRIAGE_DATE", "date", True, not_after_delivery=True),
                Field("ESTABLISHMENT", required=True),
                *_dir_identity(required_dob=True),
                Field("ETHNICITY", codes=PNC_ETHNICITY),
                _prison_number(),
                _pnc_id(),
                *_dir_substances(),
                Field("INJECTING_STATUS", codes=INJECTING),
                Field("TREATMENT_NEED", "bool", True),
                Field("CARE_PLANNED", "bool"),
                Field("PRISON_MODALITY", codes=("OST", "PSY", "OST+PSY")),
                Field("PLANNED_RELEASE_DATE", "date"),
            ),
            **_DIR,
        ),
        Contract(
            "dir_release",
            "dir",
            "dir_release_",
            description="DIR custody release and referral record",
            unique=("RELEASE_ID",),
            record_source="dir_release",
            record_id="RELEASE_ID",
            identity=True,
            event_date="RELEASE_DATE",
            date_order=(("DOB", "RELEASE_DATE"),),
            fields=(
                Field("RELEASE_ID", required=True, privacy="key"),
                Field("DIR_ID", privacy="hash", domain="record:dir_triage"),
                Field("RELEASE_DATE", "date", True, not_after_delivery=True),
                Field("ESTABLISHMENT", required=True),
                *_dir_identity(required_dob=False),
                _prison_number(),
                _pnc_id(),
                Field(
                    "RELEASE_TYPE",
                    required=True,
                    codes=("CONDITIONAL", "END_OF_SENTENCE", "TRANSFER", "DEPORTED", "COURT"),
                ),
                Field("IN_TREATMENT", "bool"),
                Field("REFERRED", "bool"),
                Field("REFERRAL_LA", identity="la_code"),
                Field("POSTCODE_DISTRICT", privacy="drop", identity="postcode_district"),
            ),
            **_DIR,
        ),
        Contract(
            "ndtms_client",
            "ndtms",
            "CLIENT_",
            description="NDTMS client (attributor: initials, DOB, sex, area)",
            unique=("CLIENTID",),
            record_source="ndtms",
            record_id="CLIENTID",
            identity=True,
            fields=(
                Field("CLIENTID", required=True, privacy="key"),
                Field("AGNCY", required=True),
                Field("FINITIAL", privacy="drop", identity="finitial", pattern=r"^\p{L}$"),
                Field("SINITIAL", privacy="drop", identity="sinitial", pattern=r"^\p{L}$"),
                Field("DOB", "date", True, privacy="dob", identity="dob", not_after_delivery=True),
                Field("SEX", required=True, codes=SEX, identity="sex"),
                Field("ETHNIC", codes=NDTMS_ETHNICITY),
                Field("LA", identity="la_code"),
                Field("PC", privacy="drop", identity="postcode_district"),
                Field("PRNTSTAT", codes=("11", "12", "13", "14")),
                Field("CHILDWTH", "int", min_value=0, max_value=20),
            ),
            **_NDTMS,
        ),
        Contract(
            "ndtms_episode",
            "ndtms",
            "EPISODE_",
            description="NDTMS treatment episode (re-delivered when it changes)",
            unique=("EPISODID",),
            record_source="ndtms",
            record_id="CLIENTID",
            date_order=(("TRIAGED", "DISD"),),
            fields=(
                Field("EPISODID", required=True, privacy="hash"),
                Field("CLIENTID", required=True, privacy="key"),
                Field("AGNCY"),
                Field("SETTING", codes=("COMMUNITY", "SECURE")),
                Field("ESTAB"),
                Field("RFLS", codes=("PRISON", "CJIT", "SELF", "GP", "PROBATION", "OTHER")),
                Field("TRIAGED", "date", True, not_after_delivery=True),
                Field("CPLANDT", "date", not_after_delivery=True),
                Field("DRUG1", codes=SUBSTANCES),
                Field("DRUG2", codes=SUBSTANCES),
                Field("DRUG3", codes=SUBSTANCES),
                Field("INJSTAT", codes=INJECTING),
                Field("DISD", "date", not_after_delivery=True),
                Field("DISRSN", codes=tuple(str(c) for c in range(80, 89))),
                Field("SUBMOD", "bool"),
            ),
            **_NDTMS,
        ),
        Contract(
            "ndtms_modality",
            "ndtms",
            "MODALITY_",
            description="NDTMS interventions (modalities) within an episode",
            unique=("MODID",),
            date_order=(("MODST", "MODEND"),),
            fields=(
                Field("MODID", required=True, privacy="hash"),
                Field("EPISODID", required=True, privacy="hash"),
                Field("MODAL", codes=("PHARM", "PSY", "RECOV", "MUTAID", "FAMSUP", "RESREHAB")),
                Field("INTCODE"),
                Field("REFMODDT", "date", not_after_delivery=True),
                Field("MODST", "date", True, not_after_delivery=True),
                Field("MODEND", "date", not_after_delivery=True),
                Field("MODEXIT"),
            ),
            **_NDTMS,
        ),
        Contract(
            "ndtms_top",
            "ndtms",
            "TOP_",
            description="NDTMS Treatment Outcomes Profile forms",
            unique=("TOPID",),
            fields=(
                Field("TOPID", required=True, privacy="hash"),
                Field("EPISODID", required=True, privacy="hash"),
                Field("TOPDATE", "date", True, not_after_delivery=True),
                Field("TRSTAGE", codes=("S", "R", "E", "P")),
                *(_days(n) for n in ("OPIUSE", "CRAUSE", "COCAUSE", "AMPUSE", "CANUSE")),
                _days("ALCUSE"),
                _days("IVDRGUSE"),
                Field("SHARING", "bool"),
                _days("SHOTHEFT"),
                _days("DRGSELL"),
                Field("PSYHSTAT", "int", min_value=0, max_value=20),
                Field("PHSTAT", "int", min_value=0, max_value=20),
                Field("QUALLIFE", "int", min_value=0, max_value=20),
                _days("PWORK"),
                _days("EDUC"),
                Field("ACUTHPBLM", "bool"),
                Field("HRSKEVICT", "bool"),
            ),
            **_NDTMS,
        ),
        Contract(
            "rmdt_test",
            "rmdt",
            "rmdt_",
            ".xlsx",
            "xlsx",
            description="rMDT prison drug tests (sheet `tests`)",
            sheet="tests",
            unique=("TEST_ID",),
            record_source="rmdt",
            record_id="TEST_ID",
            identity=True,
            event_date="TEST_DATE",
            fields=(
                Field("TEST_ID", required=True, privacy="key"),
                Field("ESTABLISHMENT", required=True),
                Field("TEST_DATE", "date", True, not_after_delivery=True),
                Field("REASON", codes=("RANDOM", "SUSPICION", "RISK", "FREQUENT")),
                _prison_number(required=True),
                Field("SAMPLE_STATUS", codes=("TESTED", "REFUSED", "SPOILED")),
                *(Field(n, codes=RMDT_RESULTS) for n in RMDT_DRUGS),
            ),
        ),
    )
}

#: Tables whose rows carry identifiers (each writes ``identity.person_records``), in order.
IDENTITY_TABLES = tuple(name for name, contract in CONTRACTS.items() if contract.identity)

#: Columns of ``identity.person_records`` and their types.
IDENTITY_COLUMNS: dict[str, str] = {
    "source": "VARCHAR",
    "record_key": "VARCHAR",
    "record_id": "VARCHAR",
    "name_seq": "INTEGER",
    "forename": "VARCHAR",
    "middle_names": "VARCHAR",
    "surname": "VARCHAR",
    "initials": "VARCHAR",
    "dob": "DATE",
    "sex": "VARCHAR",
    "pnc_id": "VARCHAR",
    "pnc_id_valid": "BOOLEAN",
    "cro_no": "VARCHAR",
    "prison_number": "VARCHAR",
    "crn": "VARCHAR",
    "postcode_district": "VARCHAR",
    "la_code": "VARCHAR",
    "event_date": "DATE",
    "_delivery_month": "VARCHAR",
    "_source_file": "VARCHAR",
    "_row_number": "INTEGER",
}
