"""Damaged state files, generated: every command answers with a documented exit code and a sentence.

Each example starts from the files a working install has (``sessions.json``,
``settings.json``, a credentials file, an ``aws login`` cache file), damages one
of them (bytes cut, flipped or added, a JSON value replaced or removed, a BOM,
CRLF, deep nesting) and runs the commands a user would. None may print
"Unexpected" or a traceback, none may exit with an undocumented code, and the
damaged file keeps its bytes unless a command legitimately rewrote a healthy
file. Fixed seed, a small budget: it runs in CI on every push.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from cli.context import Cli
from cli.main import main
from core.domain.errors import TransientServiceError
from core.sessions.manager import SessionManager
from core.storage.logincache import cache_file_path, write_login_cache
from core.storage.paths import AppPaths
from core.storage.secrets import KeyringSecretStore
from core.storage.settings import Settings, save_settings
from core.storage.store import SessionStore, StoreState
from core.storage.storeformat import credentials_to_json
from credproc import fastpath
from credproc.exitcodes import ExitCode
from tests.doubles.logincache import make_entry
from tests.doubles.sessions import sample_sessions

DOCUMENTED = {code.value for code in ExitCode}
READ_ONLY = (("list",), ("list", "--json"), ("env", "work-admin"), ("settings",))
CHANGING = (("use", "work-admin"), ("refresh", "work-admin"), ("logout", "work-readonly"), ("import",))
IMPORT_ARN = "arn:aws:sts::555566667777:assumed-role/Imported/alice"


class NoNetwork:
    """Every AWS Sign-In call fails as a network fault would: the fuzz never leaves this machine."""

    async def refresh(self, *_: object, **__: object) -> Any:
        raise TransientServiceError("AWS Sign-In could not be reached (test).")

    async def sign_in_same_device(self, *_: object) -> Any:
        raise TransientServiceError("AWS Sign-In could not be reached (test).")

    async def sign_in_remote(self, *_: object) -> Any:
        raise TransientServiceError("AWS Sign-In could not be reached (test).")


def install_state(paths: AppPaths) -> dict[str, Path]:
    """The files of a working install with two sessions; returns them by name."""
    shutil.rmtree(paths.home, ignore_errors=True)
    shutil.rmtree(paths.login_cache_dir, ignore_errors=True)
    paths.aws_config_file.unlink(missing_ok=True)
    now = datetime.now(UTC)
    sessions = sample_sessions(now, 2)
    SessionStore(paths).save(StoreState(sessions[0].id, tuple(sessions)))
    save_settings(paths.settings_file, Settings())
    entry = make_entry(timedelta(minutes=14))
    credentials = paths.credentials_file(sessions[0].id)
    credentials.parent.mkdir(parents=True, exist_ok=True)
    document = credentials_to_json(entry.credentials)
    credentials.write_text(json.dumps(document, indent=2))
    KeyringSecretStore().save(sessions[0], entry.secrets)
    cache = cache_file_path(paths.login_cache_dir, IMPORT_ARN)
    write_login_cache(cache, make_entry(timedelta(minutes=9)))
    # What `aws login` leaves: a profile naming the cached session, for `import` to adopt.
    paths.aws_config_file.write_text(f"[profile imported]\nlogin_session = {IMPORT_ARN}\nregion = eu-west-1\n")
    return {
        "sessions": paths.sessions_file,
        "settings": paths.settings_file,
        "credentials": credentials,
        "login cache": cache,
    }


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _paths_in(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths_in(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths_in(child, (*prefix, index)))
    return found


def _replace(document: Any, path: tuple[Any, ...], value: Any, *, drop: bool) -> Any:
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if drop:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return document


@st.composite
def damage(draw: st.DrawFn, original: bytes) -> bytes:
    """One kind of damage a disk, an editor or a crash does to a file."""
    kind = draw(st.sampled_from(["cut", "flip", "insert", "value", "drop", "bom", "crlf", "nest", "bytes"]))
    if kind == "cut":
        return original[: draw(st.integers(0, max(len(original) - 1, 0)))]
    if kind == "flip":
        at = draw(st.integers(0, len(original) - 1))
        return original[:at] + bytes([original[at] ^ draw(st.integers(1, 255))]) + original[at + 1 :]
    if kind == "insert":
        at = draw(st.integers(0, len(original)))
        return original[:at] + draw(st.binary(min_size=1, max_size=8)) + original[at:]
    if kind == "bom":
        return b"\xef\xbb\xbf" + original
    if kind == "crlf":
        return original.replace(b"\n", b"\r\n")
    if kind == "nest":
        depth = draw(st.integers(1_000, 50_000))
        return b"[" * depth + b"]" * depth
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    document = json.loads(original)
    paths = _paths_in(document)
    path = draw(st.sampled_from(paths))
    changed = _replace(document, path, draw(JSON_VALUES), drop=kind == "drop")
    return json.dumps(changed).encode()


def run_command(argv: tuple[str, ...]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), cli=Cli(stdout=out, stderr=err))
    return code, out.getvalue() + err.getvalue()


def run_credential_process(session_id: str, home: Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = fastpath.main(["--session", session_id, "--home", str(home)])
    return code, out.getvalue() + err.getvalue()


def assert_clear(code: int, output: str, what: str) -> None:
    assert code in DOCUMENTED, (what, code, output)
    assert "Unexpected" not in output, (what, output)
    assert "unexpected" not in output, (what, output)
    assert "Traceback" not in output, (what, output)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SessionManager, "_client", lambda self, region: NoNetwork())


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("target", ["sessions", "settings", "credentials", "login cache"])
@seed(20261201)
@settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_command_answers_damaged_state_clearly(target: str, data: st.DataObject) -> None:
    paths = AppPaths.from_environment()
    files = install_state(paths)
    path = files[target]
    damaged = data.draw(damage(path.read_bytes()), label="damaged bytes")
    path.write_bytes(damaged)
    session_id = sample_sessions(datetime.now(UTC), 1)[0].id

    checks: list[tuple[str, Callable[[], tuple[int, str]]]] = [
        (" ".join(argv), functools.partial(run_command, argv)) for argv in READ_ONLY
    ]
    checks.append(("credential-process", functools.partial(run_credential_process, session_id, paths.home)))
    for what, run in checks:
        code, output = run()
        assert_clear(code, output, what)
        assert path.read_bytes() == damaged, f"{what} changed the damaged {target} file"
    for argv in CHANGING:
        before = path.read_bytes() if path.exists() else None
        code, output = run_command(argv)
        assert_clear(code, output, " ".join(argv))
        if code == ExitCode.FILE_ERROR:
            assert (path.read_bytes() if path.exists() else None) == before, f"{argv} rewrote a file it refused"
