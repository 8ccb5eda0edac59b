"""The root causes of a failed Dagster run, in a few lines: failed checks with what they found,
failed steps with the exception's message (which names the file for file faults)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

#: Exceptions that report a fault in the inputs or the environment, not a bug: their message is
#: the whole story. Any other exception is shown with where it was raised.
USER_ERRORS = frozenset(
    {
        "Failure",
        "OSError",
        "PermissionError",
        "FileNotFoundError",
        "FileExistsError",
        "IsADirectoryError",
        "NotADirectoryError",
        "RefusedError",
        "NoDeliveriesError",
        "DevelopmentKeyError",
        "UnusableKeyError",
        "RunLockedError",
    }
)
#: Step failures that only repeat a failed blocking check (the check is reported instead).
_CHECK_FAILED = "DagsterAssetCheckFailedError"
_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')
_REPO = Path(__file__).resolve().parents[1]
#: Longest detail kept for one cause (the log holds the rest).
DETAIL_CHARS = 300


@dataclass(frozen=True)
class Cause:
    """One root cause of a failed run: a failed check or a failed step."""

    kind: str  # "check" or "step"
    name: str
    message: str
    raised_at: str | None = None

    def line(self) -> str:
        where = f" (raised at {self.raised_at})" if self.raised_at else ""
        return f"{self.kind} {self.name} failed: {self.message}{where}"


def causes(result: dg.ExecuteInProcessResult) -> list[Cause]:
    """Failed checks of severity ERROR, then failed steps, of one run."""
    found = [
        Cause("check", _check_name(e), _check_detail(e))
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    for event in result.all_events:
        if event.event_type_value != "STEP_FAILURE":
            continue
        error = _root(event.event_specific_data.error)
        if error.cls_name == _CHECK_FAILED:
            continue
        raised_at = None if error.cls_name in USER_ERRORS else _raised_at(error)
        found.append(Cause("step", event.step_key, _message(error), raised_at))
    return found


def check_warnings(result: dg.ExecuteInProcessResult) -> list[str]:
    """Names of the run's checks that failed with severity WARN (they do not block)."""
    return [
        _check_name(e)
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity != dg.AssetCheckSeverity.ERROR
    ]


def _check_name(evaluation: dg.AssetCheckEvaluation) -> str:
    return f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"


def _check_detail(evaluation: dg.AssetCheckEvaluation) -> str:
    """The check's description when it has one, else its metadata that says something."""
    if evaluation.description:  # the quality gate's: "suite: expectation; ..."
        return _shorten("; ".join(dict.fromkeys(evaluation.description.split("; "))))
    parts = []
    for key, value in evaluation.metadata.items():
        text = str(getattr(value, "value", value)).strip().replace("\n", ", ")
        if text and text != "none":
            parts.append(f"{key} {text}")
    return _shorten("; ".join(parts) or "see the log")


def _root(error):
    """The innermost cause of a Dagster error (the user's exception, not Dagster's wrapper)."""
    while error.cause is not None:
        error = error.cause
    return error


def _message(error) -> str:
    """The exception's own message: without Dagster's module path or a repeated class name
    for :class:`dagster.Failure`, as ``Class: message`` otherwise."""
    text = error.message.strip()
    head, sep, rest = text.partition(": ")
    if sep and head.rsplit(".", 1)[-1] == error.cls_name:
        text = rest if error.cls_name == "Failure" else f"{error.cls_name}: {rest}"
    return _shorten(text)


def _raised_at(error) -> str | None:
    """``file:line`` of the frame that raised (relative to the repository when inside it)."""
    frames = [m for entry in error.stack for m in _FRAME.finditer(entry)]
    if not frames:
        return None
    path = Path(frames[-1]["file"])
    if path.is_relative_to(_REPO):
        path = path.relative_to(_REPO)
    return f"{path}:{frames[-1]['line']}"


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 3] + "..."
