"""Identity noise: configurable per-source rates, applied to exact counts of records."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np

from pipelines.synthetic.reference import NICKNAMES

NAME_KINDS = ("typo", "nickname", "alias", "swap", "formatting")
DOB_KINDS = ("dob_transpose", "dob_year")


@dataclass(frozen=True)
class SourceNoise:
    """Rates (0-1) of each kind of identity noise in one source's records.

    ``alias`` is a surname change (another surname on the record; on PNC, an alias row),
    ``missing_pnc`` a PNC ID left empty where the person has one, ``duplicate`` a second
    local identity for the same person within the source (PNC: a second PNC ID; NDTMS: a new
    CLIENTID at the same agency), ``formatting`` casing / spacing / hyphenation variants.
    Rates apply to the records eligible for them (e.g. nicknames to forenames that have one).
    """

    typo: float = 0.0
    nickname: float = 0.0
    alias: float = 0.0
    swap: float = 0.0
    formatting: float = 0.0
    dob_transpose: float = 0.0
    dob_year: float = 0.0
    missing_pnc: float = 0.0
    duplicate: float = 0.0


@dataclass(frozen=True)
class NoiseConfig:
    """Identity-noise rates per source; ``NoiseConfig.none()`` gives clean identities."""

    pnc: SourceNoise = field(
        default_factory=lambda: SourceNoise(
            typo=0.01, alias=0.12, swap=0.003, dob_transpose=0.004, dob_year=0.004, duplicate=0.01
        )
    )
    oasys: SourceNoise = field(
        default_factory=lambda: SourceNoise(
            typo=0.02, nickname=0.05, alias=0.02, swap=0.005, formatting=0.03,
            dob_transpose=0.005, dob_year=0.005, missing_pnc=0.08,
        )
    )  # fmt: skip
    dir: SourceNoise = field(
        default_factory=lambda: SourceNoise(
            typo=0.03, nickname=0.08, alias=0.02, swap=0.01, formatting=0.05,
            dob_transpose=0.01, dob_year=0.01, missing_pnc=0.35,
        )
    )  # fmt: skip
    ndtms: SourceNoise = field(
        default_factory=lambda: SourceNoise(
            nickname=0.03, swap=0.005, dob_transpose=0.006, dob_year=0.006, duplicate=0.03
        )
    )
    rmdt: SourceNoise = field(default_factory=SourceNoise)

    @classmethod
    def none(cls) -> NoiseConfig:
        return cls(*(SourceNoise() for _ in fields(cls)))

    def scaled(self, factor: float) -> NoiseConfig:
        """Every rate multiplied by ``factor`` (capped at 1)."""
        return NoiseConfig(
            **{
                f.name: replace(
                    getattr(self, f.name),
                    **{k: min(1.0, v * factor) for k, v in asdict(getattr(self, f.name)).items()},
                )
                for f in fields(self)
            }
        )


class Tally:
    """Configured vs achieved noise per source and kind (written to ``truth/noise.json``)."""

    def __init__(self, config: NoiseConfig) -> None:
        self.config = config
        self.counts: dict[str, dict[str, list[int]]] = {}

    def add(self, source: str, kind: str, eligible: int, applied: int) -> None:
        c = self.counts.setdefault(source, {}).setdefault(kind, [0, 0])
        c[0] += eligible
        c[1] += applied

    def merge(self, counts: dict[str, dict[str, list[int]]]) -> None:
        """Add another tally's counts (a chunk of the population)."""
        for source, kinds in counts.items():
            for kind, (e, a) in kinds.items():
                self.add(source, kind, e, a)

    def report(self) -> dict[str, dict[str, dict[str, float | int]]]:
        out: dict[str, dict[str, dict[str, float | int]]] = {}
        for source, kinds in sorted(self.counts.items()):
            rates = asdict(getattr(self.config, source))
            out[source] = {
                kind: {
                    "configured": rates[kind],
                    "eligible": e,
                    "applied": a,
                    "achieved": round(a / e, 6) if e else 0.0,
                }
                for kind, (e, a) in sorted(kinds.items())
            }
        return out


def exact_sample(
    rng: np.random.Generator, candidates: np.ndarray, rate: float, eligible: int
) -> np.ndarray:
    """``round(rate * eligible)`` indexes drawn from ``candidates`` (fewer if not enough)."""
    k = min(round(rate * eligible), len(candidates))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.sort(rng.choice(candidates, size=k, replace=False))


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def typo(rng: np.random.Generator, name: str) -> str:
    """One keying error (substitution, deletion, insertion or transposition), first letter kept."""
    if len(name) < 3:
        return name + _LETTERS[int(rng.integers(0, 26))]
    i = int(rng.integers(1, len(name)))
    op = int(rng.integers(0, 4))
    letter = _LETTERS[int(rng.integers(0, 26))]
    if name[i].islower():
        letter = letter.lower()
    if op == 0:
        out = name[:i] + letter + name[i + 1 :]
    elif op == 1:
        out = name[:i] + name[i + 1 :]
    elif op == 2:
        out = name[:i] + letter + name[i:]
    else:
        j = min(i + 1, len(name) - 1)
        out = name[:i] + name[j] + name[i] + name[j + 1 :] if j > i else name[:i] + letter
    if out == name:
        out = name[:i] + ("X" if name[i].upper() != "X" else "Z") + name[i + 1 :]
    return out


def formatting(name: str, variant: int) -> str:
    """A casing / spacing / hyphenation variant that differs from ``name``."""
    options = []
    if "-" in name:
        options.append(name.replace("-", " "))
    if " " in name.strip():
        options.append(name.replace(" ", "-"))
    if "'" in name:
        options.append(name.replace("'", ""))
    options += [name.upper(), name.lower(), name + " ", " " + name]
    options = [o for o in options if o != name]
    return options[variant % len(options)]


def apply_identity_noise(
    rng: np.random.Generator,
    tally: Tally,
    source: str,
    forename: np.ndarray,
    surname: np.ndarray,
    dob: np.ndarray,
    alt_surname: np.ndarray,
    kinds: tuple[str, ...] = NAME_KINDS + DOB_KINDS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Noisy copies of names and DOBs (days since 1970) and a per-record noise label."""
    cfg = getattr(tally.config, source)
    n = len(forename)
    fore, sur, d = forename.copy(), surname.copy(), dob.copy()
    label = np.full(n, "", dtype=object)
    free = np.ones(n, dtype=bool)
    for kind in NAME_KINDS:
        if kind not in kinds:
            continue
        rate = getattr(cfg, kind)
        if kind == "nickname":
            ok = np.array([f.upper() in NICKNAMES for f in fore], dtype=bool)
        else:
            ok = np.ones(n, dtype=bool)
        eligible = int(ok.sum())
        pick = exact_sample(rng, np.flatnonzero(ok & free), rate, eligible)
        for i in pick.tolist():
            if kind == "typo":
                if rng.random() < 0.5:
                    sur[i] = typo(rng, sur[i])
                else:
                    fore[i] = typo(rng, fore[i])
            elif kind == "nickname":
                nick = NICKNAMES[fore[i].upper()]
                fore[i] = nick if fore[i].isupper() else nick.title()
            elif kind == "alias":
                alt = (
                    alt_surname[i]
                    if alt_surname[i].upper() != sur[i].upper()
                    else alt_surname[i] + "S"
                )
                sur[i] = alt if sur[i].isupper() else alt.title()
            elif kind == "swap":
                fore[i], sur[i] = sur[i], fore[i]
            elif kind == "formatting":
                if rng.random() < 0.5:
                    sur[i] = formatting(sur[i], int(rng.integers(0, 8)))
                else:
                    fore[i] = formatting(fore[i], int(rng.integers(0, 8)))
        changed = [(fore[i] != forename[i]) or (sur[i] != surname[i]) for i in pick.tolist()]
        label[pick] = kind
        free[pick] = False
        tally.add(source, kind, eligible, int(sum(changed)))
    days = d.astype("datetime64[D]")
    y = days.astype("datetime64[Y]").astype(int) + 1970
    m = days.astype("datetime64[M]").astype(int) % 12 + 1
    dd = (days - days.astype("datetime64[M]")).astype(int) + 1
    free_d = np.ones(n, dtype=bool)
    if "dob_transpose" in kinds:
        ok = (dd <= 12) & (dd != m)
        pick = exact_sample(rng, np.flatnonzero(ok), cfg.dob_transpose, int(ok.sum()))
        new = [
            np.datetime64(f"{yy:04d}-{a:02d}-{b:02d}")
            for yy, a, b in zip(y[pick], dd[pick], m[pick], strict=True)
        ]
        if len(pick):
            d[pick] = np.array(new, dtype="datetime64[D]").astype(np.int64)
        free_d[pick] = False
        label[pick] = np.where(label[pick] == "", "dob_transpose", label[pick] + "+dob_transpose")
        tally.add(source, "dob_transpose", int(ok.sum()), int((d[pick] != dob[pick]).sum()))
    if "dob_year" in kinds:
        ok = ~((m == 2) & (dd == 29))
        pick = exact_sample(rng, np.flatnonzero(ok & free_d), cfg.dob_year, int(ok.sum()))
        shift = np.where(rng.random(len(pick)) < 0.5, -1, 1)
        new = [
            np.datetime64(f"{yy + s:04d}-{a:02d}-{b:02d}")
            for yy, s, a, b in zip(y[pick], shift, m[pick], dd[pick], strict=True)
        ]
        if len(pick):
            d[pick] = np.array(new, dtype="datetime64[D]").astype(np.int64)
        label[pick] = np.where(label[pick] == "", "dob_year", label[pick] + "+dob_year")
        tally.add(source, "dob_year", int(ok.sum()), int((d[pick] != dob[pick]).sum()))
    return fore, sur, d, label


def missing(rng: np.random.Generator, tally: Tally, source: str, present: np.ndarray) -> np.ndarray:
    """Mask of records whose PNC ID is left empty (among records where one exists)."""
    cfg = getattr(tally.config, source)
    idx = np.flatnonzero(present)
    pick = exact_sample(rng, idx, cfg.missing_pnc, len(idx))
    out = np.zeros(len(present), dtype=bool)
    out[pick] = True
    tally.add(source, "missing_pnc", len(idx), len(pick))
    return out
