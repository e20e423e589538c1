"""Overlapping probes of a directory share a write, and never one that started before they asked."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from core.storage.atomic import probe_writable


def counting_fsync(monkeypatch: pytest.MonkeyPatch, gate: threading.Event | None = None) -> list[int]:
    """Count the probes' fsyncs; the first one waits for ``gate`` (a probe that takes a while)."""
    calls: list[int] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        calls.append(fd)
        if gate is not None and len(calls) == 1:
            assert gate.wait(10)
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return calls


def test_probes_one_after_another_each_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counting_fsync(monkeypatch)
    for _ in range(3):
        probe_writable(tmp_path / "d")
    assert len(calls) == 3


def test_callers_arriving_during_a_probe_share_the_next_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    calls = counting_fsync(monkeypatch, release)
    directory = tmp_path / "d"
    first = threading.Thread(target=probe_writable, args=(directory,))
    first.start()
    while not calls:  # the first probe is writing
        threading.Event().wait(0.01)
    later = [threading.Thread(target=probe_writable, args=(directory,)) for _ in range(4)]
    for thread in later:
        thread.start()
    threading.Event().wait(0.2)  # the four wait behind it
    release.set()
    for thread in [first, *later]:
        thread.join(10)
    # The first probe had started before the four asked: it cannot answer for them; one more does.
    assert len(calls) == 2


def test_a_shared_probe_that_fails_fails_for_every_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    calls = counting_fsync(monkeypatch, release)
    directory = tmp_path / "d"
    directory.mkdir(mode=0o700)
    first = threading.Thread(target=probe_writable, args=(directory,))
    first.start()
    while not calls:
        threading.Event().wait(0.01)
    errors: list[OSError] = []

    def probe() -> None:
        try:
            probe_writable(directory)
        except OSError as exc:
            errors.append(exc)

    later = [threading.Thread(target=probe) for _ in range(3)]
    for thread in later:
        thread.start()
    threading.Event().wait(0.2)

    def refuse(*_args: object, **_kwargs: object) -> tuple[int, str]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tempfile.mkstemp", refuse)
    release.set()
    for thread in [first, *later]:
        thread.join(10)
    assert [exc.errno for exc in errors] == [28, 28, 28]
    assert len(calls) == 1
