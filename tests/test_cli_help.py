"""The command line's help: plain text, help on every command and option, choices as choices."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from pipelines.cli import Preset, Table, app
from pipelines.contracts.deliveries import CONTRACTS
from pipelines.synthetic.presets import PRESETS


def _commands() -> dict:
    """Every command by its invocation, the top-level group included."""
    group = typer.main.get_command(app)
    return {"": group} | {name: cmd for name, cmd in group.commands.items()}


def test_every_command_and_option_has_plain_help() -> None:
    runner = CliRunner()
    checked = 0
    for name, command in _commands().items():
        assert (command.help or "").strip(), f"command {name!r} has no help"
        options = [p for p in command.params if p.param_type_name == "option"]
        for param in options:
            assert (param.help or "").strip(), f"{name} {param.opts} has no help"
            checked += 1
        shown = runner.invoke(app, [*name.split(), "--help"], prog_name="outcomes")
        assert shown.exit_code == 0, shown.output
        assert "``" not in shown.output and ":func:" not in shown.output, shown.output
        assert "Usage: outcomes" in shown.output
    assert checked >= 14  # verbose, synth's five, run, ingest's two, ui's two, and the rest


def test_choices_are_enums_matching_the_code() -> None:
    assert [p.value for p in Preset] == list(PRESETS)
    assert [t.value for t in Table] == list(CONTRACTS)
    shown = CliRunner().invoke(app, ["synth", "--help"], prog_name="outcomes").output
    assert "--preset <ci|demo|national>" in shown
    shown = CliRunner().invoke(app, ["ingest", "--help"], prog_name="outcomes").output
    assert "dir_release|" in shown


def test_unknown_preset_is_a_short_usage_error(tmp_path) -> None:
    result = CliRunner().invoke(app, ["synth", "--preset", "nonsense", "--out", str(tmp_path)])

    assert result.exit_code == 2
    assert "'nonsense' is not one of 'ci', 'demo', 'national'" in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert len(result.output.splitlines()) < 10
    assert list(tmp_path.iterdir()) == []
