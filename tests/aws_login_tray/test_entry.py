"""The one entry point: the tray without a command, the CLI with one, and every GUI option in --help."""

from __future__ import annotations

import argparse

import pytest

from aws_login_tray import entry
from cli.main import build_parser
from gui import launch as gui_launch


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


def test_every_option_the_tray_takes_is_in_the_help_of_gui() -> None:
    tray_parser_options: set[str] = set()
    real_parse = argparse.ArgumentParser.parse_args

    def spy(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> argparse.Namespace:
        tray_parser_options.update(_option_strings(self))
        return real_parse(self, [])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(argparse.ArgumentParser, "parse_args", spy)
        gui_launch._parse([])
    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    gui_help = _option_strings(subparsers.choices["gui"])
    assert {"--demo", "--debug"} <= tray_parser_options
    assert tray_parser_options <= gui_help


@pytest.mark.parametrize(
    ("argv", "front_end"),
    [
        ([], "tray"),
        (["gui"], "tray"),
        (["--demo"], "tray"),
        (["gui", "--demo", "--debug"], "tray"),
        (["list"], "cli"),
        (["--help"], "cli"),
        (["gui", "--help"], "cli"),
        (["--version"], "cli"),
        (["--debug", "refresh", "work"], "cli"),
    ],
)
def test_the_first_word_chooses_the_front_end(argv: list[str], front_end: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, list[str]]] = []

    def recorder(name: str) -> object:
        def run(args: list[str]) -> int:
            seen.append((name, args))
            return 0

        return run

    monkeypatch.setattr(gui_launch, "main", recorder("tray"))
    monkeypatch.setattr("cli.main.main", recorder("cli"))
    assert entry.main(argv) == 0
    assert [name for name, _ in seen] == [front_end]
    if front_end == "tray":
        assert "gui" not in seen[0][1]
