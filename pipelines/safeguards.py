"""Refusals before a run touches data: no deliveries, an unusable key, or real data with the
development key.

``outcomes run`` never generates data. A landing folder without the simulator's mark
(:data:`~pipelines.contracts.landing_marker.SYNTHETIC_MARKER`) is treated as real data, and real
data is never pseudonymised with the committed development key. Messages name paths and
settings, never the key.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.contracts.landing_marker import SYNTHETIC_MARKER
from pipelines.settings import DEV_PSEUDO_KEY

#: How to get synthetic deliveries (quoted in the refusals).
SYNTH_HINT = (
    "to generate synthetic deliveries run `outcomes synth --preset demo --out DIR` "
    "(writes DIR/landing) or `make run`"
)


#: Shortest pseudonymisation key accepted (``openssl rand -hex 32`` gives 64 characters).
MIN_KEY_LENGTH = 16


class RefusedError(RuntimeError):
    """A run refused to start; the message says why and what to change (``outcomes`` exits 2)."""


class NoDeliveriesError(RefusedError):
    """The landing folder is missing, empty or holds no ``<source>/<YYYY-MM>/`` folder."""


class DevelopmentKeyError(RefusedError):
    """Real (unmarked) deliveries with the committed development pseudonymisation key."""


class UnusableKeyError(RefusedError):
    """The pseudonymisation key is empty or too short to be a secret."""


def synthetic_mark(landing_dir: Path | str) -> dict | None:
    """The simulator's mark of ``landing_dir`` (preset, seed...), or ``None`` when unmarked."""
    path = Path(landing_dir) / SYNTHETIC_MARKER
    if not path.is_file():
        return None
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def no_deliveries(landing_dir: Path | str) -> NoDeliveriesError:
    """The error for a landing folder without any monthly delivery, saying what was looked at."""
    path = Path(landing_dir).absolute()
    if not path.exists():
        state = "does not exist"
    elif not path.is_dir():
        state = "is not a folder"
    elif not any(path.iterdir()):
        state = "is empty"
    else:
        state = "holds no delivery folder <source>/<YYYY-MM>/"
    return NoDeliveriesError(
        f"No deliveries to run on: the landing folder {path} {state}. `outcomes run` never "
        f"generates data: {SYNTH_HINT}. To read deliveries elsewhere set OUTCOMES_LANDING_DIR "
        "(or OUTCOMES_DATA_DIR, whose landing/ is the default)."
    )


def check_key(key: str, landing_dir: Path | str) -> None:
    """Refuse an empty or short key, and the development key unless the landing folder carries
    the simulator's mark."""
    if len(key.strip()) < MIN_KEY_LENGTH:
        state = "is empty" if not key.strip() else f"has only {len(key.strip())} characters"
        raise UnusableKeyError(
            f"Unusable pseudonymisation key: OUTCOMES_PSEUDO_KEY {state}; a key needs at least "
            f"{MIN_KEY_LENGTH}. Set it to a secret of your own (e.g. `export "
            "OUTCOMES_PSEUDO_KEY=$(openssl rand -hex 32)`, or a line in the git-ignored "
            ".env.local) and keep it: a new key gives every person a new pseudonym."
        )
    if key != DEV_PSEUDO_KEY or synthetic_mark(landing_dir) is not None:
        return
    path = Path(landing_dir).absolute()
    raise DevelopmentKeyError(
        f"Refusing to pseudonymise {path} with the development key: the folder has no "
        f"{SYNTHETIC_MARKER} mark, so it is treated as real data. Set OUTCOMES_PSEUDO_KEY to a "
        "secret of your own (e.g. `export OUTCOMES_PSEUDO_KEY=$(openssl rand -hex 32)`, or a "
        "line in the git-ignored .env.local; keep it: a new key gives every person a new key). "
        f"For synthetic data, {SYNTH_HINT}."
    )


def refuse_unsafe(landing_dir: Path | str, key: str, months: list[str]) -> None:
    """The refusals before a run: no delivery ``months`` found under ``landing_dir``, or the
    development ``key`` on unmarked deliveries."""
    if not months:
        raise no_deliveries(landing_dir)
    check_key(key, landing_dir)
