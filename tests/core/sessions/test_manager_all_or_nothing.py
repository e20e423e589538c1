"""Half-done operations: sign-in, settings changes, store switches and sign-outs finish whole or undo themselves."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import keyring
import keyring.errors
import pytest

from cli.context import Cli
from cli.main import main
from core.domain.errors import ConfigFileError, InvalidInput, ProfileConflict, SecretsLeftBehind, SecretStoreUnavailable
from core.domain.model import CredentialMode
from core.sessions.manager import SessionManager
from core.sessions.service import SessionService
from core.storage.secrets import keyring_username
from core.storage.settings import Settings, load_settings
from credproc.exitcodes import ExitCode
from tests.doubles.clock import fake_sleep
from tests.doubles.manager_rig import Rig, make_rig, read_config
from tests.doubles.signin_service import FakeSigninClient
from tests.support import keyrings


def keyring_manager(rig: Rig) -> SessionManager:
    """A manager whose secrets go where the settings say (the test keyring, or 0600 files)."""
    return SessionManager(
        rig.paths,
        clock=rig.clock,
        open_browser=rig.opened.append,
        signin_factory=lambda region: FakeSigninClient(rig.service, region),
        settings=Settings(),
        sleep=fake_sleep(rig.clock),
    )


def keyring_entries() -> dict[tuple[str, str], str]:
    backend = keyring.get_keyring()
    assert isinstance(backend, keyrings.TestFileKeyring)
    return backend.entries()


@pytest.mark.parametrize("region", ["nonsense", "US-EAST-1", "us-east-1 ", ""])
def test_login_refuses_a_bad_region_before_the_browser_opens(region: str) -> None:
    """Case 7: no browser, no session, no secret, no profile."""

    async def scenario() -> None:
        rig = make_rig()
        with pytest.raises(InvalidInput, match="not an AWS Region name"):
            await rig.manager.sign_in(region, "p1")
        assert rig.opened == []
        assert rig.manager.sessions() == []
        assert rig.secrets.data == {}
        assert read_config(rig.paths) == ""

    asyncio.run(scenario())


def test_login_refuses_an_unwritable_config_directory_before_the_browser_opens() -> None:
    async def scenario() -> None:
        rig = make_rig()
        aws_dir = rig.paths.aws_config_file.parent
        aws_dir.rmdir()
        aws_dir.write_text("a file where ~/.aws should be")
        with pytest.raises(ConfigFileError, match="nothing was changed"):
            await rig.manager.sign_in("eu-west-1", "p1")
        assert rig.opened == []
        assert rig.manager.sessions() == []

    asyncio.run(scenario())


def test_a_sign_in_whose_profile_cannot_be_written_leaves_nothing_behind() -> None:
    """Case 7: the config edit fails after the browser: the session, its secrets and credentials are undone."""

    async def scenario() -> None:
        rig = make_rig()
        kept = await rig.manager.sign_in("eu-west-1", "kept")

        def refuse(*_: object, **__: object) -> None:
            raise ConfigFileError("~/.aws/config: cannot be written (No space left on device); nothing was changed")

        rig.manager.profiles.writer.apply = refuse  # type: ignore[method-assign]
        with pytest.raises(ConfigFileError):
            await rig.manager.sign_in("eu-west-1", "p2")
        assert len(rig.opened) == 2
        assert [s.id for s in rig.manager.sessions()] == [kept.id]
        assert rig.manager.active_session_id() == kept.id
        assert list(rig.secrets.data) == [kept.id]
        assert sorted(p.name for p in rig.paths.credentials_dir.iterdir()) == [f"{kept.id}.json"]

    asyncio.run(scenario())


def test_the_active_profile_name_cannot_be_another_sessions_profile() -> None:
    """Case 8: refused before anything is written; a refused config edit leaves the setting unchanged."""

    async def scenario() -> None:
        rig = make_rig()
        await rig.manager.sign_in("eu-west-1", "p1")
        await rig.manager.sign_in("us-east-1", "p2")
        config_before = read_config(rig.paths)
        with pytest.raises(ProfileConflict, match="profile of the session"):
            await rig.manager.update_settings(Settings(active_profile_name="p2"))
        assert read_config(rig.paths) == config_before
        assert rig.manager.settings().active_profile_name == "default"
        assert not rig.paths.settings_file.exists()

        rig.paths.aws_config_file.write_text(config_before + "\n[profile mine]\naws_access_key_id = AKIAEXAMPLE\n")
        with pytest.raises(ProfileConflict):
            await rig.manager.update_settings(Settings(active_profile_name="mine"))
        assert rig.manager.settings().active_profile_name == "default"
        assert not rig.paths.settings_file.exists()

        await rig.manager.update_settings(Settings(active_profile_name="current"))
        assert load_settings(rig.paths.settings_file).active_profile_name == "current"
        assert "[profile current]" in read_config(rig.paths)

    asyncio.run(scenario())


def test_switching_the_secret_store_fails_whole_and_keeps_every_secret() -> None:
    """Case 3: a failure part-way leaves every token in the keyring and the old setting."""

    async def scenario() -> None:
        rig = make_rig()
        manager = keyring_manager(rig)
        first = await manager.sign_in("eu-west-1", "p1")
        second = await manager.sign_in("us-east-1", "p2")
        before = keyring_entries()
        assert {u for _, u in before} == {keyring_username(first.id), keyring_username(second.id)}
        blocker = rig.paths.plaintext_secrets_dir / f"{second.id}.json"
        blocker.mkdir(parents=True)  # the second copy cannot be written
        with pytest.raises(SecretStoreUnavailable):
            await manager.update_settings(Settings(use_plaintext_secrets=True))
        assert keyring_entries() == before
        assert manager.settings().use_plaintext_secrets is False
        assert not rig.paths.settings_file.exists()
        assert not (rig.paths.plaintext_secrets_dir / f"{first.id}.json").exists()

        blocker.rmdir()
        await manager.update_settings(Settings(use_plaintext_secrets=True))
        assert keyring_entries() == {}
        assert (rig.paths.plaintext_secrets_dir / f"{second.id}.json").exists()
        assert (await manager.refresh(first.id)).refresh_region == "eu-west-1"
        assert rig.service.refused == []

    asyncio.run(scenario())


def test_logout_with_a_locked_keyring_says_what_stayed_and_removes_it_later(monkeypatch: pytest.MonkeyPatch) -> None:
    """Case 4: exit 5 naming the leftover; the next start with the keyring unlocked removes it."""
    rig = make_rig()
    manager = keyring_manager(rig)
    session = asyncio.run(manager.sign_in("eu-west-1", "p1"))

    still_locked = [True]
    unlocked_delete = keyrings.TestFileKeyring.delete_password

    def locked(self: keyrings.TestFileKeyring, service: str, username: str) -> None:
        if still_locked[0]:
            raise keyring.errors.KeyringLocked("locked")
        unlocked_delete(self, service, username)

    monkeypatch.setattr(keyrings.TestFileKeyring, "delete_password", locked)

    @asynccontextmanager
    async def service(_: Cli) -> AsyncIterator[SessionService]:
        yield manager

    out, err = io.StringIO(), io.StringIO()
    code = main(["logout", "p1"], cli=Cli(stdout=out, stderr=err, paths=rig.paths, service_factory=service))
    assert code == ExitCode.SECRET_STORE
    assert "Signed out p1" in out.getvalue()
    assert "locked" in err.getvalue()
    assert "removed the next time" in err.getvalue()
    assert manager.sessions() == []
    assert keyring_username(session.id) in {u for _, u in keyring_entries()}
    assert rig.paths.pending_deletions_file.exists()

    asyncio.run(keyring_manager(rig).remove_leftover_secrets())  # still locked: kept for later
    assert keyring_username(session.id) in {u for _, u in keyring_entries()}
    still_locked[0] = False
    restarted = keyring_manager(rig)

    async def start_and_stop() -> None:
        await restarted.start()
        await asyncio.sleep(0)  # the engine's loop begins before it is asked to stop
        await restarted.stop()

    asyncio.run(start_and_stop())
    assert keyring_entries() == {}
    assert not rig.paths.pending_deletions_file.exists()


def test_a_sign_out_left_behind_is_a_secret_store_error() -> None:
    assert issubclass(SecretsLeftBehind, SecretStoreUnavailable)


def test_a_login_cache_that_cannot_be_written_stops_a_login_session_sign_in_before_the_browser() -> None:
    async def scenario() -> None:
        rig = make_rig()
        cache = rig.paths.login_cache_dir
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text("a file where the login cache directory goes")
        with pytest.raises(SecretStoreUnavailable, match="login cache"):
            await rig.manager.sign_in("eu-west-1", "p1", credential_mode=CredentialMode.LOGIN_SESSION)
        assert rig.opened == []

    asyncio.run(scenario())
