"""Code lists and identifier rules shared by the simulator (which writes them) and ingest
(which checks them)."""

#: Alphabet of the PNC ID check character (mod 23 over ``YY`` + the 7-digit serial).
PNC_ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"

#: OASys sections, in delivery order, and the score at or above which each is a need.
OASYS_NEED_THRESHOLDS = {
    "accommodation": 2,
    "ete": 3,
    "finance": 2,
    "relationships": 2,
    "lifestyle": 2,
    "drugs": 2,
    "alcohol": 4,
    "emotional_wellbeing": 2,
    "thinking_behaviour": 4,
    "attitudes": 2,
}
OASYS_SECTIONS = tuple(OASYS_NEED_THRESHOLDS)


def pnc_check_character(year: str, serial: str) -> str:
    """The mod-23 check character of a PNC ID from its 4-digit year and 7-digit serial."""
    return PNC_ALPHABET[int(year[-2:] + serial) % 23]
