"""Keyed hashing of identifiers (HMAC-SHA256 over normalised values)."""

from __future__ import annotations

import hashlib
import hmac
import re

_SPACES = re.compile(r"\s+")


def normalise(value: object) -> str | None:
    """Upper-case, trim and collapse whitespace; ``None`` and blanks stay ``None``."""
    if value is None:
        return None
    text = _SPACES.sub(" ", str(value)).strip().upper()
    return text or None


def keyed_hash(key: str, value: object, *, domain: str = "") -> str | None:
    """Hex HMAC-SHA256 of ``domain|normalised value``; ``None`` for missing values.

    The domain separates identifier kinds, so equal strings in different roles never collide.
    """
    text = normalise(value)
    if text is None:
        return None
    message = f"{domain}|{text}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def record_key(key: str, source: str, record_id: object) -> str:
    """Pseudonymous key of one source record: the join key between raw tables and the spine."""
    digest = keyed_hash(key, record_id, domain=f"record:{source}")
    if digest is None:
        raise ValueError(f"record id missing for source {source!r}")
    return digest
