"""Code lists and identifier rules shared by the simulator (which writes them) and ingest
(which checks them)."""

import re

#: Alphabet of the PNC ID check character (mod 23 over ``YY`` + the 7-digit serial).
PNC_ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"
PNC_ID_PATTERN = r"^\d{4}/\d{7}[A-Z]$"

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

SEX = ("M", "F")
PNC_ETHNICITY = (
    *(f"{g}{i}" for g in "WMABO" for i in range(1, 10)),
    "NS",
)
NDTMS_ETHNICITY = (*"ABCDEFGHIJKLMNOPQRS", "Z")
SUBSTANCES = ("HER", "MET", "BUP", "CRA", "COC", "CAN", "BEN", "AMP", "NPS", "ALC")
ROUTES = ("INJ", "SMK", "ORAL", "SNF")
FREQUENCIES = ("DAILY", "WEEKLY", "LESS")
INJECTING = ("CURRENT", "PREVIOUS", "NEVER")

#: rMDT drug panels, in delivery order (one POS/NEG column each), and their results.
RMDT_DRUGS = ("OPIATES", "CANNABIS", "COCAINE", "BENZODIAZEPINES", "BUPRENORPHINE", "PSYCHOACTIVE")
RMDT_RESULTS = ("POS", "NEG")


def pnc_check_character(year: str, serial: str) -> str:
    """The mod-23 check character of a PNC ID from its 4-digit year and 7-digit serial."""
    return PNC_ALPHABET[int(year[-2:] + serial) % 23]


def pnc_id_is_valid(value: str) -> bool:
    """True when ``value`` is ``YYYY/NNNNNNNC`` with the right check character."""
    if not re.match(PNC_ID_PATTERN, value):
        return False
    return pnc_check_character(value[:4], value[5:12]) == value[12]
