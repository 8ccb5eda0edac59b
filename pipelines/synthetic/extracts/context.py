"""What every source's extract draws on (truth, places, random stream, noise tally) and
collects (delivered tables, record map), with the helpers the sources share."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from pipelines.synthetic.assemble import Truth
from pipelines.synthetic.dates import delivery_month
from pipelines.synthetic.noise import DOB_KINDS, NAME_KINDS, Tally, apply_identity_noise, missing
from pipelines.synthetic.reference import Places


@dataclass
class Context:
    """One chunk's truth and random stream; sources add their tables and record-map rows."""

    t: Truth
    places: Places
    rng: np.random.Generator
    tally: Tally
    first_month: str
    end: int
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    record_maps: list[pl.DataFrame] = field(default_factory=list)
    _people: dict[str, np.ndarray] = field(default_factory=dict)

    def person(self, column: str, rows: np.ndarray) -> np.ndarray:
        """A column of ``people`` for each record (``rows`` are person indexes)."""
        if column not in self._people:
            self._people[column] = self.t.people[column].to_numpy()
        return self._people[column][rows]

    def month(self, col: str) -> pl.Expr:
        """The delivery month of records dated ``col``."""
        return delivery_month(col, self.first_month)

    def noisy_identity(
        self,
        source: str,
        rows: np.ndarray,
        kinds: tuple[str, ...] = NAME_KINDS + DOB_KINDS,
        title_case: bool = False,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Forenames, surnames, DOBs and noise labels as ``source`` records them."""
        fore, sur, alt = (
            self.person(c, rows).astype(object) for c in ("forename", "surname", "alias_surname")
        )
        if title_case:
            fore, sur, alt = _title(fore), _title(sur), _title(alt)
        dob = self.person("dob", rows)
        return apply_identity_noise(self.rng, self.tally, source, fore, sur, dob, alt, kinds)

    def recorded_pnc_id(self, source: str, frame: pl.DataFrame, date_col: str) -> np.ndarray:
        """The PNC ID each record's person had on its date, left empty at ``source``'s rate."""
        pnc = self._pnc_at(frame, date_col)
        gone = missing(self.rng, self.tally, source, pnc.is_not_null().to_numpy())
        return np.where(gone, None, pnc.to_numpy())

    def _pnc_at(self, frame: pl.DataFrame, date_col: str) -> pl.Series:
        """The PNC ID each record's person had on the record's date (null when none yet)."""
        issued = self.t.pnc_records.select("person", pl.col("created").alias("_from"), "pnc_id")
        j = (
            frame.with_row_index("_r")
            .sort(["person", date_col])
            .join_asof(
                issued.sort(["person", "_from"]),
                left_on=date_col,
                right_on="_from",
                by="person",
                strategy="backward",
                check_sortedness=False,
            )
            .sort("_r")
        )
        return j["pnc_id"]

    def home_la(self, rows: np.ndarray) -> np.ndarray:
        """Index (into ``places``) of each person's home local authority."""
        index = {c: i for i, c in enumerate(self.places.la_code)}
        return np.array([index[c] for c in self.person("la_code", rows)], dtype=np.int64)

    def map_records(
        self,
        source: str,
        table: str,
        ids: pl.Series,
        rows: np.ndarray,
        label: np.ndarray | None = None,
    ) -> None:
        """Record which true person each delivered record belongs to (and its noise)."""
        self.record_maps.append(
            frame(
                {
                    "source": source,
                    "table": table,
                    "record_id": ids,
                    "person_id": self.t.people["person_id"].gather(rows),
                    "noise": label if label is not None else np.full(len(rows), "", dtype=object),
                }
            )
        )


def frame(columns: dict) -> pl.DataFrame:
    """A frame from arrays, turning numpy object arrays into String (or Int64) columns."""
    out = {}
    for k, v in columns.items():
        if isinstance(v, np.ndarray) and v.dtype == object:
            values = v.tolist()
            sample = next((x for x in values if x is not None), "")
            if isinstance(sample, int | np.integer) and not isinstance(sample, bool):
                out[k] = pl.Series(k, [None if x is None else int(x) for x in values], pl.Int64)
            else:
                out[k] = pl.Series(k, values, dtype=pl.String)
        else:
            out[k] = v
    return pl.DataFrame(out)


def problem_substances(
    t: Truth, person: np.ndarray, rng: np.random.Generator
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Up to three problem substances (code, route, frequency), most serious first."""
    ppl = t.people
    n = len(person)
    inj = ppl["injecting"].to_numpy()[person] == "CURRENT"
    opi_code = np.where(rng.random(n) < 0.88, "HER", np.where(rng.random(n) < 0.5, "MET", "BUP"))
    cand = [
        (ppl["opiate"].to_numpy()[person], opi_code, np.where(inj, "INJ", "SMK"), "DAILY"),
        (ppl["crack"].to_numpy()[person], "CRA", "SMK", "DAILY"),
        (ppl["cocaine"].to_numpy()[person], "COC", "SNF", "WEEKLY"),
        (ppl["benzodiazepines"].to_numpy()[person], "BEN", "ORAL", "DAILY"),
        (ppl["cannabis"].to_numpy()[person], "CAN", "SMK", "DAILY"),
        (ppl["alcohol"].to_numpy()[person], "ALC", "ORAL", "DAILY"),
    ]
    slots = [tuple(np.full(n, None, dtype=object) for _ in range(3)) for _ in range(3)]
    filled = np.zeros(n, dtype=int)
    for has, code, route, freq in cand:
        code = np.broadcast_to(np.asarray(code, dtype=object), (n,))
        route = np.broadcast_to(np.asarray(route, dtype=object), (n,))
        fr = np.where(rng.random(n) < 0.7, freq, np.where(rng.random(n) < 0.6, "WEEKLY", "LESS"))
        for k, (codes, routes, freqs) in enumerate(slots):
            put = has & (filled == k)
            codes[put] = code[put]
            routes[put] = route[put]
            freqs[put] = fr[put]
        filled = filled + has
    return slots


def _title(values: np.ndarray) -> np.ndarray:
    return np.array([v.title() if v else v for v in values], dtype=object)
