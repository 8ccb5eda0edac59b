"""Small pure pieces of ingest: the vectorised HMAC and month handling."""

from __future__ import annotations

import polars as pl

from pipelines.ingest.landing import landing_months
from pipelines.ingest.protect import KeyedHasher
from pipelines.ingest.validate import month_end
from pipelines.pseudonymise import keyed_hash

KEY = "test-key"


def test_vectorised_hmac_equals_keyed_hash() -> None:
    values = [
        " 2012/0123456k ",
        "2012/0123456K",
        "a\tb  c",
        "straße",
        "\x1cX",
        "José  María",
        "",
        "   ",
        None,
        "A1234BC",
        "A1234BC",
    ]
    hashed = KeyedHasher(KEY).hash(pl.Series(values, dtype=pl.String), "pnc_id").to_list()
    assert hashed == [keyed_hash(KEY, v, domain="pnc_id") for v in values]
    assert hashed[0] == hashed[1]
    long_key = "k" * 100  # keys longer than the SHA-256 block are hashed first (RFC 2104)
    assert KeyedHasher(long_key).hash(pl.Series(["x"]), "d").to_list() == [
        keyed_hash(long_key, "x", domain="d")
    ]


def test_landing_months_lists_month_folders_only(tmp_path) -> None:
    for folder in ("pnc/2021-03", "dir/2021-04", "dir/notes", "ndtms/2021-13", "rmdt/2021-03"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "README.txt").write_text("x")
    assert landing_months(tmp_path) == ["2021-03", "2021-04"]
    assert landing_months(tmp_path / "missing") == []


def test_month_end() -> None:
    assert str(month_end("2024-02")) == "2024-02-29"
    assert str(month_end("2023-12")) == "2023-12-31"


def test_hasher_gives_the_same_hash_across_calls() -> None:
    hasher = KeyedHasher(KEY)
    first = hasher.hash(pl.Series(["A1", "B2", None]), "d").to_list()
    second = hasher.hash(pl.Series(["B2", "C3", "A1"]), "d").to_list()
    assert second == [keyed_hash(KEY, v, domain="d") for v in ["B2", "C3", "A1"]]
    assert first[:2] == [second[2], second[0]] and first[2] is None
