"""The weighted scorecard's definition (``seeds/scorecard.csv``) and commissioner weights files.

A weights file is a CSV with a header holding at least ``sub_outcome_id`` and ``weight`` (other
columns are ignored, so the seed itself is a valid weights file) and a row for every scored
sub-outcome (repeated rows must agree). Every problem is reported as :class:`WeightsFileError`
naming the file, the line and the field.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import polars as pl

SCORECARD_PATH = Path(__file__).resolve().parents[2] / "seeds" / "scorecard.csv"
WEIGHT_FIELDS = ("sub_outcome_id", "weight")


class WeightsFileError(ValueError):
    """A commissioner weights file that cannot be used (the message says where and why)."""


@dataclass(frozen=True)
class Weights:
    """Weight per scored sub-outcome and where it came from."""

    by_sub_outcome: dict[int, float]
    source: str
    sha256: str


def load_definition(path: Path = SCORECARD_PATH) -> pl.DataFrame:
    """The scored indicators: sub-outcome, indicator, direction of good, expected method and
    default weight."""
    return pl.read_csv(
        path,
        schema_overrides={"sub_outcome_id": pl.Int64, "weight": pl.Float64},
    )


def default_weights(definition: pl.DataFrame, path: Path = SCORECARD_PATH) -> Weights:
    """The seed's weights (Table 1 evidence scores, docs/scorecard.md)."""
    weights = dict(definition.select("sub_outcome_id", "weight").unique().iter_rows())
    return Weights(weights, f"default ({path.name})", hashlib.sha256(path.read_bytes()).hexdigest())


def _fail(path: Path, line: int, field: str, problem: str) -> WeightsFileError:
    return WeightsFileError(f"{path}: line {line}, field {field!r}: {problem}")


def read_weights(path: Path, definition: pl.DataFrame) -> Weights:
    """Read and validate a commissioner weights file against the scorecard definition."""
    path = Path(path)
    scored = sorted(set(definition["sub_outcome_id"].to_list()))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise WeightsFileError(f"{path}: cannot be read ({error.strerror or error})") from error
    except UnicodeDecodeError as error:
        raise WeightsFileError(f"{path}: not UTF-8 text ({error.reason})") from error
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    for name in WEIGHT_FIELDS:
        if name not in header:
            raise _fail(path, 1, name, f"missing column (the header is {','.join(header)!r})")
    reader.fieldnames = header
    weights: dict[int, float] = {}
    lines: dict[int, int] = {}
    for line, row in enumerate(reader, start=2):
        raw_id, raw_weight = ((row.get(f) or "").strip() for f in WEIGHT_FIELDS)
        if not raw_id and not raw_weight:
            continue
        try:
            sub_id = int(raw_id)
        except ValueError:
            raise _fail(path, line, "sub_outcome_id", f"{raw_id!r} is not a whole number") from None
        if sub_id not in scored:
            raise _fail(
                path,
                line,
                "sub_outcome_id",
                f"{sub_id} is not a scored sub-outcome (scored: {', '.join(map(str, scored))})",
            )
        try:
            weight = float(raw_weight)
        except ValueError:
            raise _fail(path, line, "weight", f"{raw_weight!r} is not a number") from None
        if not math.isfinite(weight) or weight < 0:
            raise _fail(path, line, "weight", f"{raw_weight!r} must be a finite number >= 0")
        if sub_id in weights and weights[sub_id] != weight:
            raise _fail(
                path,
                line,
                "weight",
                f"sub-outcome {sub_id} already has weight {weights[sub_id]:g} on line "
                f"{lines[sub_id]} (repeat a sub-outcome only with the same weight)",
            )
        weights[sub_id] = weight
        lines.setdefault(sub_id, line)
    missing = [s for s in scored if s not in weights]
    if missing:
        raise _fail(
            path,
            len(text.splitlines()) + 1,
            "sub_outcome_id",
            f"no row for sub-outcome(s) {', '.join(map(str, missing))}: every scored "
            "sub-outcome needs a weight (0 to leave it out)",
        )
    if not any(weights.values()):
        raise _fail(path, 2, "weight", "every weight is 0: at least one must be positive")
    return Weights(weights, path.name, hashlib.sha256(text.encode()).hexdigest())


def resolve_weights(path: str | Path | None, definition: pl.DataFrame) -> Weights:
    """The commissioner's weights when a file is given, else the defaults."""
    return read_weights(Path(path), definition) if path else default_weights(definition)
