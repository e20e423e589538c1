"""The ``credential_process`` helper: print one session's credentials, fast.

The AWS CLI and every SDK run the ``credential_process`` command of a profile
for every command (and, with credentials that have under 15 minutes left, for
every API call), so this module is a hot path. The profile line written to
``~/.aws/config`` (see :mod:`credproc.command`) runs this module with ``python -I -S``: no ``site``
scan, no third-party import, no ``argparse``, not even ``os`` or ``json``.
The fast path reads the session's credentials file (kept fresh by the tray
or ``aws-login-tray agent``), checks its expiry and copies the Version 1
fields to stdout.

Only when the credentials are missing or about to run out does it take the
slow path, which its caller hands in (``cli/credproc_entry.py``): it loads the
rest of the app, takes the session's inter-process lock (the same one the
refresh engine takes), re-reads the file and refreshes on the spot if nobody
else did.

stdout carries nothing but the JSON; every problem goes to stderr with a
non-zero exit code (see :class:`credproc.exitcodes.ExitCode`) and a sentence saying how to fix it.
"""

import sys
import time

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the hot path
if TYPE_CHECKING:
    from collections.abc import Callable

if sys.platform == "win32":  # pragma: no cover - the same calls under another name
    import nt as _posix
else:
    import posix as _posix

APP_NAME = "aws-login-tray"
APP_HOME_ENV = "AWS_LOGIN_TRAY_HOME"

REFRESH_MARGIN_SECONDS = 120
"""The most validity that makes credentials too short to hand out (AWS's 900-second ones)."""

MARGIN_FRACTION = 2 / 15
"""The margin as a fraction of the granted lifetime: 120 s of 900 s, 1.6 s of 12 s.

Well below the engine's refresh point (60% left), so credentials the agent
keeps fresh are handed out as they are, whatever lifetime the service grants.
"""

WRITTEN_AT = "WrittenAt"
"""Key under which :func:`read_credentials_file` reports the file's mtime (not a Version 1 field)."""

LOCK_TIMEOUT_SECONDS = 60.0
"""How long the slow path waits for another refresher of the same session."""

_V1_FIELDS = ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")
_MAX_FILE_BYTES = 65536
_ID_CHARS = frozenset("0123456789abcdefABCDEF")
_USAGE = """usage: aws-login-tray credential-process --session ID [--home DIR]

Print the short-lived credentials of one session as credential_process
Version 1 JSON. Written into ~/.aws/config by aws-login-tray; the AWS CLI and
SDKs run it. Refreshes on the spot when the credentials are about to expire.
"""


class CredentialProcessError(Exception):
    """A failure to report on stderr, with the name of the :class:`~credproc.exitcodes.ExitCode` to leave with.

    The name, not the enum member: :mod:`credproc.exitcodes` is imported only
    once something has failed.
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code

    def exit_code(self) -> int:
        """The process exit code."""
        from credproc.exitcodes import ExitCode

        return int(ExitCode[self.code])


class _JsonContext:
    """The settings the C JSON scanner reads (those of ``json.loads``)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    memo: dict[str, str] = {}

    @staticmethod
    def parse_constant(name: str) -> float:
        raise ValueError(f"unexpected constant {name}")


def _loads(text: str) -> object:
    """``json.loads`` for one document, without importing :mod:`json` (and :mod:`re`)."""
    try:
        import _json
    except ImportError:  # pragma: no cover - interpreters without the C accelerator
        import json

        return json.loads(text)
    scan = _json.make_scanner(_JsonContext())  # type: ignore[arg-type]
    start = len(text) - len(text.lstrip())
    try:
        value, end = scan(text, start)
    except StopIteration:
        raise ValueError("no JSON document") from None
    except SystemError:
        # The scanner builds its error from json.decoder, which only exists once
        # imported: on a damaged document let the full decoder say what is wrong.
        import json

        return json.loads(text)
    if text[end:].strip():
        raise ValueError("extra data after the JSON document")
    return value


def _quote(value: str) -> str:
    """A JSON string literal (ASCII-only, like ``json.dumps``)."""
    try:
        from _json import encode_basestring_ascii
    except ImportError:  # pragma: no cover
        import json

        return json.dumps(value)
    return str(encode_basestring_ascii(value))


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def parse_expiration(text: str) -> float:
    """Seconds since the epoch of a UTC ``YYYY-MM-DDTHH:MM:SS[.fff](Z|+00:00)`` timestamp.

    Raises:
        ValueError: any other shape.
    """
    if len(text) < 20 or text[4] != "-" or text[7] != "-" or text[10] not in "Tt" or text[13] != ":":
        raise ValueError(f"not a UTC timestamp: {text!r}")
    if text[16] != ":":
        raise ValueError(f"not a UTC timestamp: {text!r}")
    rest = text[19:]
    fraction = 0.0
    if rest.startswith("."):
        end = 1
        while end < len(rest) and rest[end].isdigit():
            end += 1
        digits = rest[1:end]
        if not digits:
            raise ValueError(f"not a UTC timestamp: {text!r}")
        fraction = int(digits) / 10 ** len(digits)
        rest = rest[end:]
    if rest not in ("Z", "z", "+00:00"):
        raise ValueError(f"not a UTC timestamp: {text!r}")
    fields = (text[0:4], text[5:7], text[8:10], text[11:13], text[14:16], text[17:19])
    if not all(part.isdigit() and part.isascii() for part in fields):
        raise ValueError(f"not a UTC timestamp: {text!r}")
    year, month, day, hour, minute, second = (int(part) for part in fields)
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 61):
        raise ValueError(f"not a UTC timestamp: {text!r}")
    return _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second + fraction


def _getenv(name: str) -> str | None:
    if sys.platform == "win32":  # pragma: no cover
        value: str | None = _posix.environ.get(name)
        return value
    raw = _posix.environ.get(name.encode())
    return None if raw is None else raw.decode(sys.getfilesystemencoding(), "surrogateescape")


def _expand_user(path: str) -> str:
    if path == "~" or path.startswith("~/"):
        home = _getenv("HOME")
        if home:
            return home.rstrip("/") + path[1:] if home != "/" else "/" + path[2:]
    if path.startswith("~"):
        import os.path

        return os.path.expanduser(path)
    return path


def default_home() -> str:
    """The app's data directory, resolved exactly like :mod:`core.storage.paths` but stdlib-only.

    ``AWS_LOGIN_TRAY_HOME`` wins; otherwise the platform's user data
    directory (what ``platformdirs.user_data_dir("aws-login-tray")`` gives).
    """
    override = _getenv(APP_HOME_ENV)
    if override:
        return _expand_user(override)
    if sys.platform == "darwin":
        return _expand_user("~/Library/Application Support/" + APP_NAME)
    if sys.platform == "win32":  # pragma: no cover - resolved by platformdirs there
        import platformdirs

        return str(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    xdg = (_getenv("XDG_DATA_HOME") or "").strip()
    base = xdg if xdg else _expand_user("~/.local/share")
    return base.rstrip("/") + "/" + APP_NAME


def credentials_file_path(home: str, session_id: str) -> str:
    """``AppPaths.credentials_file`` computed from a home directory string."""
    sep = "\\" if sys.platform == "win32" else "/"
    return home.rstrip(sep) + sep + "credentials" + sep + session_id + ".json"


def valid_session_id(session_id: str) -> bool:
    """Session ids are hex digests (see ``core.domain.model.session_id_for``): nothing that can walk a path."""
    return 0 < len(session_id) <= 64 and all(char in _ID_CHARS for char in session_id)


def read_credentials_file(path: str) -> dict[str, object] | None:
    """The parsed, validated credentials file, or None when there is none.

    Raises:
        CredentialProcessError: the file exists but is damaged or unreadable.
    """
    try:
        # Non-blocking: a FIFO in the file's place would otherwise hang every SDK call.
        fd = _posix.open(path, _posix.O_RDONLY | getattr(_posix, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CredentialProcessError(
            f"cannot read the credentials file {path}: {exc.strerror}.", "FILE_ERROR"
        ) from None
    try:
        info = _posix.fstat(fd)
        if info.st_mode & 0o170000 != 0o100000:
            raise CredentialProcessError(
                f"the credentials file {path} is not a regular file (a directory, FIFO or device); "
                "remove it and run `aws-login-tray refresh`.",
                "FILE_ERROR",
            )
        written_at = info.st_mtime
        chunks = []
        size = 0
        while True:
            chunk = _posix.read(fd, _MAX_FILE_BYTES)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > _MAX_FILE_BYTES:
                break
    finally:
        _posix.close(fd)
    try:
        if size > _MAX_FILE_BYTES:
            raise ValueError("too large")
        document = _loads(b"".join(chunks).decode("utf-8"))
        if not isinstance(document, dict) or document.get("Version") != 1:
            raise ValueError("not credential_process Version 1 JSON")
        for name in _V1_FIELDS:
            if not isinstance(document.get(name), str) or not document[name]:
                raise ValueError(f"{name} is missing")
        parse_expiration(str(document["Expiration"]))
        account = document.get("AccountId")
        if account is not None and not isinstance(account, str):
            raise ValueError("AccountId is not a string")
        # Every writer replaces the file right after the grant: its mtime tells the lifetime granted.
        document[WRITTEN_AT] = written_at
    except (ValueError, RecursionError):
        # The reason is not echoed: it could quote a piece of a secret.
        raise CredentialProcessError(
            f"the credentials file {path} is damaged; run `aws-login-tray refresh` to rewrite it "
            "(or `aws-login-tray logout` and sign in again).",
            "FILE_ERROR",
        ) from None
    return document


def render(document: dict[str, object]) -> str:
    """The Version 1 JSON for stdout: only the fields the credential_process contract defines."""
    parts = ['"Version": 1']
    parts.extend(f"{_quote(name)}: {_quote(str(document[name]))}" for name in _V1_FIELDS)
    if document.get("AccountId"):
        parts.append(f'"AccountId": {_quote(str(document["AccountId"]))}')
    return "{" + ", ".join(parts) + "}\n"


def refresh_margin(document: dict[str, object]) -> float:
    """Seconds of validity below which credentials are refreshed on the spot, never handed out.

    :data:`MARGIN_FRACTION` of the lifetime the file was written with, at most
    :data:`REFRESH_MARGIN_SECONDS`; that maximum when the write time is unknown.
    """
    written_at = document.get(WRITTEN_AT)
    if not isinstance(written_at, int | float):
        return float(REFRESH_MARGIN_SECONDS)
    lifetime = parse_expiration(str(document["Expiration"])) - written_at
    return min(float(REFRESH_MARGIN_SECONDS), max(lifetime, 0.0) * MARGIN_FRACTION)


def fresh_enough(document: dict[str, object], now: float | None = None) -> bool:
    """True while the credentials outlast their :func:`refresh_margin`."""
    expires = parse_expiration(str(document["Expiration"]))
    return expires - (time.time() if now is None else now) > refresh_margin(document)


def _parse_args(argv: list[str]) -> tuple[str, str | None]:
    session_id: str | None = None
    home: str | None = None
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg in ("-h", "--help"):
            sys.stdout.write(_USAGE)
            raise CredentialProcessError("", "OK")
        name, eq, value = arg.partition("=")
        if name not in ("--session", "--home"):
            raise CredentialProcessError(f"unknown argument {arg!r}.\n{_USAGE}", "USAGE")
        if not eq:
            index += 1
            if index >= len(argv):
                raise CredentialProcessError(f"{name} needs a value.\n{_USAGE}", "USAGE")
            value = argv[index]
        if name == "--session":
            session_id = value
        else:
            home = value
        index += 1
    if session_id is None:
        raise CredentialProcessError(f"--session is required.\n{_USAGE}", "USAGE")
    if not valid_session_id(session_id):
        raise CredentialProcessError(f"{session_id!r} is not a session id.", "USAGE")
    return session_id, home


def main(argv: list[str] | None = None, slow_path: "Callable[[str, str], dict[str, object]] | None" = None) -> int:
    """Run the helper; returns the exit code.

    Args:
        argv: the arguments after the program name (default: ``sys.argv[1:]``).
        slow_path: called as ``slow_path(home, session_id)`` when the file is
            missing or about to run out; it refreshes on the spot and returns the
            new document. Injected by the caller, so this module imports nothing
            of the app (see ``cli/credproc_entry.py``).
    """
    args = sys.argv[1:] if argv is None else argv
    try:
        session_id, home = _parse_args(args)
        home = _expand_user(home) if home else default_home()
        document = read_credentials_file(credentials_file_path(home, session_id))
        if document is None or not fresh_enough(document):
            if slow_path is None:
                raise CredentialProcessError("the credentials need a refresh and none was offered.", "FAILURE")
            document = slow_path(home, session_id)
        sys.stdout.write(render(document))
        sys.stdout.flush()
    except CredentialProcessError as exc:
        if str(exc):
            sys.stderr.write(f"aws-login-tray credential-process: {exc}\n")
        return exc.exit_code()
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the slow path loads the whole app; never a traceback on an SDK's stderr
        sys.stderr.write(
            f"aws-login-tray credential-process: unexpected {type(exc).__name__} while refreshing; "
            "run `aws-login-tray --debug refresh` to see why.\n"
        )
        return 1
    return 0
