"""The webbrowser-based opener: honours BROWSER, returns at once, reports failure."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import pytest

from core.signin.browser import WebBrowserOpener

URL = "http://127.0.0.1:9/v1/authorize?state=abc&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Foauth%2Fcallback"


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _wait_for(predicate: object, seconds: float = 10.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


@pytest.mark.timeout(30)
def test_returns_while_the_browser_program_still_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = tmp_path / "release"
    seen = tmp_path / "seen"
    program = _script(
        tmp_path / "fake-browser",
        f'printf "%s" "$1" > "{seen}.tmp" && mv "{seen}.tmp" "{seen}"\nwhile [ ! -e "{gate}" ]; do sleep 0.05; done\n',
    )
    monkeypatch.setenv("BROWSER", str(program))
    WebBrowserOpener()(URL)
    # Back here while the program waits for the gate: the opener did not wait for it.
    _wait_for(seen.exists)
    assert seen.read_text(encoding="utf-8") == URL
    gate.touch()


def test_browser_is_read_at_every_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outputs = []
    opener = WebBrowserOpener()
    for name in ("first", "second"):
        out = tmp_path / f"{name}.out"
        program = _script(tmp_path / name, f'printf "%s" "$1" > "{out}.tmp" && mv "{out}.tmp" "{out}"\n')
        monkeypatch.setenv("BROWSER", str(program))
        opener(URL)
        _wait_for(out.exists)
        outputs.append(out.read_text(encoding="utf-8"))
    assert outputs == [URL, URL]


def test_command_line_with_placeholder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    program = _script(tmp_path / "b", f'printf "%s|%s" "$1" "$2" > "{out}.tmp" && mv "{out}.tmp" "{out}"\n')
    monkeypatch.setenv("BROWSER", f"{program} --flag %s")
    WebBrowserOpener()(URL)
    _wait_for(out.exists)
    assert out.read_text(encoding="utf-8") == f"--flag|{URL}"


def test_falls_back_to_the_next_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    failing = _script(tmp_path / "failing", "exit 3\n")
    working = _script(tmp_path / "working", f'printf "%s" "$1" > "{out}.tmp" && mv "{out}.tmp" "{out}"\n')
    monkeypatch.setenv("BROWSER", os.pathsep.join([str(failing), str(working)]))
    failures: list[None] = []
    WebBrowserOpener(on_failure=lambda: failures.append(None))(URL)
    _wait_for(out.exists)
    assert out.read_text(encoding="utf-8") == URL
    assert failures == []


def test_reports_when_no_browser_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    failing = _script(tmp_path / "failing", "exit 1\n")
    monkeypatch.setenv("BROWSER", str(failing))
    failed = threading.Event()
    WebBrowserOpener(on_failure=failed.set)(URL)
    assert failed.wait(10)


@pytest.mark.timeout(30)
def test_the_browser_chosen_in_settings_wins_over_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ignored = tmp_path / "ignored"
    monkeypatch.setenv("BROWSER", str(_script(tmp_path / "env-browser", f'echo "$1" > "{ignored}"\n')))
    seen = tmp_path / "seen"
    chosen = _script(tmp_path / "my browser", f'echo "$2 $1" > "{seen}.tmp" && mv "{seen}.tmp" "{seen}"\n')
    opener = WebBrowserOpener(command=lambda: f"'{chosen}' --private-window")
    opener(URL)
    _wait_for(seen.exists)
    assert seen.read_text().strip() == f"{URL} --private-window"  # the URL goes last without a %s
    assert not ignored.exists()
