"""Safe, minimal edits of the user's AWS config file (``~/.aws/config``).

The file is precious: people keep hand-written comments, odd spacing and
profiles of other tools in it. This module therefore never rewrites it from a
parsed model. One scan finds where each section starts and ends (with
configparser's own header rule); only the sections an edit touches are
parsed, with :mod:`configparser` for values and :mod:`configupdater` (which
keeps every line's raw text) for their lines, and new text is spliced in at
those places. Every byte outside the sections we own is copied through
unchanged, and the whole result is parsed once, as botocore will read it,
before it is written. That keeps a switch on a file of thousands of lines
close to the cost of one plain configparser read.

Rules:

* A section is *ours* when the line directly under its header is the
  :data:`MARKER` comment. We create, rewrite and delete only those sections.
* A profile we write always holds ``region``, ``sts_regional_endpoints =
  regional`` and one credential source: ``credential_process``,
  ``login_session``, or a role (``role_arn``, ``source_profile`` and the
  optional ``role_session_name``, ``duration_seconds``, ``external_id``).
  Other settings a person adds to our section (``output = json``, comments)
  are kept; our lines are rewritten.
* A profile that already holds another credential style (access keys, a role,
  SSO, web identity, a credential process or another ``aws login`` session) is
  refused with :class:`~core.domain.errors.ProfileConflict`, worded like ``aws login``
  and carrying a free name to use instead.
* A profile that exists without any credentials (only ``region``/``output``
  and the like) is not taken over silently either: the caller must name it in
  ``adopt``. Adopting keeps its other settings; its ``region`` becomes the one
  the caller passes (read the old one with :meth:`AwsConfigWriter.profile_settings`
  to keep it).
* The one edit we make to a section we do not own is
  :meth:`AwsConfigWriter.set_sts_regional`, used by the doctor when the user
  asks it to fix a profile: it sets (or adds) the single line
  ``sts_regional_endpoints = regional`` and touches nothing else.
* Every write is one atomic replace (temporary file in the same directory,
  ``fsync``, ``os.replace``) under an inter-process lock, keeps the file's
  mode (0600 for a new file), follows a symlinked config to its target, and
  first saves the previous version as ``<config>.aws-login-tray.bak`` so
  :meth:`AwsConfigWriter.undo` can restore it.
* A file that cannot be parsed (bad syntax, duplicate sections or keys, bad
  UTF-8) raises :class:`~core.domain.errors.ConfigFileError` naming file and line;
  nothing is written.
"""

from __future__ import annotations

import configparser
import contextlib
import logging
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.awsconfig.document import (
    LINE_ENDS,
    MARKER,
    MARKER_PREFIX,
    ConfigDocument,
    ConfigPart,
    ConfigSection,
    gc_paused,
    header_for,
    parse_config_lines,
    read_config_text,
    split_lines,
    unsafe_config_error,
)
from core.awsconfig.regional import with_regional_sts
from core.awsconfig.styles import CREDENTIAL_KEYS, SOURCE_KEYS, check_defaults, credential_style
from core.domain.errors import ConfigFileError, ProfileConflict
from core.domain.regions import is_region_name
from core.domain.roles import RoleSettings
from core.storage.atomic import atomic_write_bytes
from core.storage.locks import held_file_lock

log = logging.getLogger(__name__)

BACKUP_SUFFIX = ".aws-login-tray.bak"
LOCK_TIMEOUT_SECONDS = 30.0

MANAGED_KEYS = ("region", "sts_regional_endpoints", *SOURCE_KEYS)
"""The keys we rewrite in a section we own."""

_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}$")


@dataclass(frozen=True)
class ProfileSpec:
    """One profile we want in the config file.

    Exactly one of ``credential_process``, ``login_session`` and ``role`` must be set.
    """

    name: str
    region: str
    credential_process: str | None = None
    login_session: str | None = None
    role: RoleSettings | None = None

    def source_items(self) -> list[tuple[str, str]]:
        """The credential lines of this profile, as ``(key, value)`` in the order written."""
        if self.role is not None:
            return self.role.config_items()
        if self.credential_process is not None:
            return [("credential_process", self.credential_process)]
        return [("login_session", self.login_session or "")]


class AwsConfigWriter:
    """Adds, updates and removes the profiles aws-login-tray owns.

    Args:
        config_path: the AWS config file (``AppPaths.aws_config_file``).
        lock_path: the inter-process lock file; defaults to
            ``AppPaths.locks_dir / "aws-config.lock"``.
    """

    def __init__(self, config_path: Path, lock_path: Path | None = None) -> None:
        self.config_path = config_path
        if lock_path is None:
            from core.storage.paths import AppPaths

            lock_path = AppPaths.from_environment().locks_dir / "aws-config.lock"
        self.lock_path = lock_path

    @property
    def backup_path(self) -> Path:
        """Where the version before our last write is kept (one step of undo)."""
        target = self._target()
        return target.with_name(target.name + BACKUP_SUFFIX)

    # -- reading -----------------------------------------------------------

    def owned_profiles(self) -> list[str]:
        """Names of the profiles we own, in file order.

        Raises:
            ConfigFileError: the file cannot be parsed.
        """
        doc = ConfigDocument.load(self.config_path)
        return [s.profile for s in doc.profiles() if s.owned and s.profile is not None]

    def profile_settings(self, name: str) -> dict[str, str] | None:
        """The settings of profile ``name`` as written in the file, or None when absent."""
        sections = ConfigDocument.load(self.config_path).profile_sections(name)
        return dict(sections[0].settings) if sections else None

    def check_available(self, name: str, *, login_session: str | None = None, adopt: bool = False) -> None:
        """Make sure we may write profile ``name``.

        Args:
            name: the profile name.
            login_session: the session ARN we would write; an unowned profile
                already bound to this very ARN may then be adopted.
            adopt: allow taking over an existing profile that holds no other
                credentials.

        Raises:
            ProfileConflict: the profile is someone else's, with a free name as suggestion.
            ConfigFileError: the file cannot be parsed.
        """
        doc = ConfigDocument.load(self.config_path)
        _check_name(name, doc)
        _check_takeover(doc, name, login_session, adopt)

    # -- writing -----------------------------------------------------------

    def apply(
        self,
        upserts: Sequence[ProfileSpec] = (),
        removals: Sequence[str] = (),
        *,
        adopt: Collection[str] = (),
    ) -> None:
        """Write and delete our profiles in one atomic, locked step.

        Args:
            upserts: profiles to create or rewrite.
            removals: profiles to delete; a profile we do not own is left
                alone (and logged), a missing one is ignored.
            adopt: names of existing credential-less profiles the user agreed
                to hand over to us.

        Raises:
            ProfileConflict: an upsert targets someone else's profile; nothing written.
            ConfigFileError: the file cannot be parsed or written; nothing changed.
        """
        for spec in upserts:
            _validate_spec(spec)
        names = [s.name for s in upserts]
        if len(set(names)) != len(names):
            raise ValueError("the same profile appears twice in one apply()")
        with self._locked(), gc_paused():
            # Only the sections this edit touches are parsed here; the whole
            # result is validated once before it is written (see _commit).
            doc = ConfigDocument.load(self._target(), validate=False)
            try:
                new_text, ours = _edit(doc, upserts, removals, set(adopt))
            except (ConfigFileError, ValueError):
                # A damaged file is reported first, exactly as a full read reports it.
                ConfigDocument(doc.text, doc.path)
                raise
            self._commit(doc, new_text, [(spec, *ours[spec.name]) for spec in upserts])

    def release(self, names: Sequence[str]) -> None:
        """Hand our profiles back to the user: drop our marker line, keep every setting.

        For a ``login_session`` profile whose ``aws login`` sign-in the app did
        not make: the AWS CLI keeps using it, and it is the user's again (an
        import may adopt it later). Profiles we do not own are left alone.

        Raises:
            ConfigFileError: the file cannot be parsed or written; nothing changed.
        """
        with self._locked():
            doc = ConfigDocument.load(self._target())
            replacements = {
                section.header: _header_line(section, doc.newline)
                + "".join(part.text for part in section.parts if not _is_marker(part))
                for name in names
                for section in doc.profile_sections(name)
                if section.owned
            }
            self._commit(doc, doc.render(replacements))

    def set_sts_regional(self, names: Sequence[str]) -> list[str]:
        """Set ``sts_regional_endpoints = regional`` on profiles, owned or not.

        This is the one edit made to sections we do not own: only that single
        line is changed (or added after the section's last setting); every
        other byte stays as it is.

        Returns:
            The profiles that were changed.

        Raises:
            ConfigFileError: a profile is missing, or the file cannot be parsed or written.
        """
        return self.fix_sts_regional(names)[0]

    def fix_sts_regional(
        self, names: Sequence[str], *, seen: ConfigDocument | None = None
    ) -> tuple[list[str], ConfigDocument]:
        """:meth:`set_sts_regional`, also returning the file as it is now.

        Args:
            names: the profiles to fix.
            seen: the document the caller read; when the file still holds
                exactly its text, it is not parsed again.

        Returns:
            The profiles that were changed, and the resulting document.
        """
        with self._locked(), gc_paused():
            target = self._target()
            text = read_config_text(target)
            doc = seen if seen is not None and seen.text == text else ConfigDocument(text, target)
            replacements: dict[str, str] = {}
            changed: dict[str, None] = {}  # ordered, without a quadratic membership test
            for name in names:
                sections = doc.profile_sections(name)
                if not sections:
                    raise ConfigFileError(f"{self.config_path}: there is no profile {name!r}; nothing was changed")
                for section in sections:
                    if section.settings.get("sts_regional_endpoints", "").strip().lower() == "regional":
                        continue
                    replacements[section.header] = with_regional_sts(section, doc.newline)
                    changed[name] = None
            if not replacements:
                return list(changed), doc
            new_text = doc.render(replacements)
            result = self._commit(doc, new_text, regional=list(replacements))
            return list(changed), ConfigDocument(new_text, doc.path, parsed=result)

    def undo(self) -> None:
        """Restore the version saved before our last write (one step).

        Raises:
            ConfigFileError: there is nothing to undo, or the file cannot be written.
        """
        with self._locked():
            backup = self.backup_path
            try:
                data = backup.read_bytes()
            except FileNotFoundError:
                raise ConfigFileError(f"{self.config_path}: there is no earlier version to restore") from None
            except OSError as exc:
                raise ConfigFileError(f"{backup}: cannot be read ({exc.strerror or exc})") from None
            self._write(self._target(), data)
            with contextlib.suppress(OSError):
                backup.unlink()

    # -- internals ---------------------------------------------------------

    def _target(self) -> Path:
        """The real file: a symlinked config (dotfile managers) is edited in place, not replaced."""
        path = self.config_path
        if path.is_symlink():
            return path.resolve()
        return path

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with held_file_lock(
            self.lock_path,
            LOCK_TIMEOUT_SECONDS,
            timed_out=lambda: ConfigFileError(
                f"{self.config_path}: another program is still editing it; nothing was changed"
            ),
            unavailable=lambda exc: ConfigFileError(
                f"{self.lock_path}: cannot create the lock file ({exc.strerror or exc}); nothing was changed"
            ),
        ):
            yield

    def _commit(
        self,
        doc: ConfigDocument,
        new_text: str,
        written: Sequence[tuple[ProfileSpec, str, str]] = (),
        *,
        regional: Sequence[str] = (),
    ) -> configparser.RawConfigParser:
        """Validate ``new_text`` and write it (with a backup of ``doc``); configparser's reading of it."""
        if new_text == doc.text:
            # Nothing to write, but a damaged file is still reported.
            return parse_config_lines(split_lines(doc.text), doc.path)
        result = _check_result(doc, new_text, written, regional)
        target = self._target()
        old = doc.text.encode("utf-8")
        self._write(self.backup_path, old, keep_mode_of=target if target.exists() else None)
        self._write(target, new_text.encode("utf-8"))
        return result

    def _write(self, path: Path, data: bytes, *, keep_mode_of: Path | None = None) -> None:
        try:
            # ~/.aws belongs to the user: keep the file's mode and owner, never chmod the directory.
            # Every writer of the file holds our lock, so any temporary file of ours there is stale.
            atomic_write_bytes(
                path, data, mode=None, keep_mode_of=keep_mode_of, private_dir=False, stale_temps_older_than=0.0
            )
        except OSError as exc:
            raise ConfigFileError(f"{path}: cannot be written ({exc.strerror or exc}); nothing was changed") from None


# -- parsing helpers ------------------------------------------------------------


def suggest_name(doc: ConfigDocument, name: str) -> str:
    """A profile name close to ``name`` that is free in ``doc``."""
    taken = {s.profile for s in doc.profiles()}
    base = re.sub(r"[^A-Za-z0-9_.@+-]", "-", name).strip("-.") or "login"
    if not base[0].isalnum():
        base = "p" + base
    base = base[:50]
    candidate = f"{base}-login"
    counter = 2
    while candidate in taken:
        candidate = f"{base}-login-{counter}"
        counter += 1
    return candidate


def _check_name(name: str, doc: ConfigDocument) -> None:
    if not _PROFILE_NAME.match(name):
        suggestion = suggest_name(doc, name)
        raise ProfileConflict(
            f"{name!r} cannot be used as a profile name: use letters, digits and - _ . @ + only"
            f" (for example {suggestion!r}).",
            name,
            suggestion,
        )


def _check_takeover(doc: ConfigDocument, name: str, login_session: str | None, adopt: bool) -> None:
    sections = doc.profile_sections(name)
    if not sections:
        return
    suggestion = suggest_name(doc, name)
    if len(sections) > 1:
        raise ProfileConflict(
            f"Profile {name!r} is defined more than once in {doc.path} ("
            + " and ".join(f"[{s.header}] on line {s.lineno}" for s in sections)
            + f"); use another name such as {suggestion!r}.",
            name,
            suggestion,
        )
    section = sections[0]
    if section.owned:
        section.parts  # noqa: B018 - parsing it proves we can rewrite it (ConfigFileError otherwise)
        return
    style = credential_style(section.settings, login_session)
    if style is not None:
        raise ProfileConflict(
            f"Profile {name!r} (line {section.lineno} of {doc.path}) is already configured with {style}"
            " credentials. Use another profile name"
            f" such as {suggestion!r}, or first remove the existing credentials from {name!r} yourself.",
            name,
            suggestion,
        )
    if not adopt:
        raise ProfileConflict(
            f"Profile {name!r} already exists in {doc.path} and was not created by aws-login-tray."
            f" Use another name such as {suggestion!r}, or allow taking it over (its other settings are kept).",
            name,
            suggestion,
        )
    section.parts  # noqa: B018 - parsing it proves we can rewrite it (ConfigFileError otherwise)


def _check_result(
    doc: ConfigDocument,
    new_text: str,
    written: Sequence[tuple[ProfileSpec, str, str]],
    regional: Sequence[str] = (),
) -> configparser.RawConfigParser:
    """Make sure botocore reads ``new_text`` whole, and reads what we wrote as written.

    This one configparser parse of the result also validates every section
    the edit copied through untouched (their bytes are the same as before).

    Args:
        doc: the file before the edit.
        new_text: the file after it.
        written: each profile we wrote, with the header and text of its section.
        regional: headers of sections that must now read ``sts_regional_endpoints = regional``.

    Returns:
        configparser's reading of ``new_text``.

    Raises:
        ConfigFileError: the original file is damaged (its own line named), or the result is not right.
    """
    try:
        parser = parse_config_lines(split_lines(new_text), doc.path)
    except ConfigFileError:
        ConfigDocument(doc.text, doc.path)  # damage in the original: name its line, not the result's
        raise unsafe_config_error(doc.path) from None
    for spec, header, text in written:
        section = ConfigSection(header=header, lineno=1, text=text, path=doc.path, owned=True)
        if not parser.has_section(header) or not section.header_line or not _starts_with_marker(text):
            raise unsafe_config_error(doc.path)
        settings = dict(parser.items(header))
        expected = dict(spec.source_items())
        if (
            settings.get("region") != spec.region
            or settings.get("sts_regional_endpoints") != "regional"
            or any(settings.get(key) != expected.get(key) for key in SOURCE_KEYS)
        ):
            raise unsafe_config_error(doc.path)
        section.parts  # noqa: B018 - our section must stay editable next time
    for header in regional:
        if parser.get(header, "sts_regional_endpoints", fallback="") != "regional":
            raise unsafe_config_error(doc.path)
    return parser


def _starts_with_marker(section_text: str) -> bool:
    lines = split_lines(section_text)
    return len(lines) > 1 and lines[1].lstrip().startswith(MARKER_PREFIX)


def _validate_spec(spec: ProfileSpec) -> None:
    sources = (spec.credential_process, spec.login_session, spec.role)
    if sum(source is not None for source in sources) != 1:
        raise ValueError(f"profile {spec.name!r}: set exactly one of credential_process, login_session and role")
    if not is_region_name(spec.region):
        raise ValueError(f"profile {spec.name!r}: {spec.region!r} is not an AWS Region name")
    for _key, value in spec.source_items():
        if not value.strip() or value != value.strip() or any(c in value for c in "\r\n"):
            raise ValueError(f"profile {spec.name!r}: a value must be one non-empty line without outer spaces")


# -- editing ------------------------------------------------------------------


def _managed_lines(spec: ProfileSpec, newline: str) -> str:
    lines = [MARKER, f"region = {spec.region}", "sts_regional_endpoints = regional"]
    lines.extend(f"{key} = {value}" for key, value in spec.source_items())
    return "".join(line + newline for line in lines)


def _is_marker(part: ConfigPart) -> bool:
    return part.kind == "comment" and part.text.lstrip().startswith(MARKER_PREFIX)


def _drops(part: ConfigPart) -> bool:
    """Whether a line of our own section is rewritten (so the old one goes)."""
    if part.kind == "comment":
        return part.text.lstrip().startswith(MARKER_PREFIX)
    if part.kind == "option" and part.key is not None:
        key = part.key
        return key in MANAGED_KEYS or key in CREDENTIAL_KEYS or key.startswith("sso_")
    return False


def _header_line(section: ConfigSection, newline: str) -> str:
    """The section's header line exactly as written (with a line end added if it had none)."""
    line = section.header_line
    return line if line.endswith(LINE_ENDS) else line + newline


def _rewrite_section(section: ConfigSection, spec: ProfileSpec, newline: str) -> str:
    """Our section with our lines rewritten and every other line kept."""
    kept = "".join(part.text for part in section.parts if not _drops(part))
    return _header_line(section, newline) + _managed_lines(spec, newline) + kept


def _new_section(spec: ProfileSpec, newline: str) -> str:
    return header_for(spec.name) + newline + _managed_lines(spec, newline)


def _append(text: str, block: str, newline: str) -> str:
    """``text`` plus a blank line and ``block`` (removing ``block`` later restores ``text``)."""
    if not text:
        return block
    if not text.endswith(LINE_ENDS):
        text += newline
    return text + newline + block


def _remove_section(doc: ConfigDocument, section: ConfigSection) -> str:
    """The whole text with ``section`` removed.

    Comments and blank lines that follow the section's last setting usually
    introduce the next section, so they are kept; one blank separator line is
    dropped so that removing a section we appended restores the file exactly.
    """
    trailing: list[str] = []
    for part in reversed(section.parts):
        if part.kind in ("space", "comment") and not _drops(part):
            trailing.insert(0, part.text)
        else:
            break
    kept = "".join(trailing)
    before = doc.text_before(section)
    after = doc.text[len(before) + len(section.text) :]
    newline = doc.newline
    if before.endswith(newline + newline) or before == newline:
        before = before[: -len(newline)]
    elif kept.startswith(newline):
        kept = kept[len(newline) :]
    return before + kept + after


def _edit(
    doc: ConfigDocument, upserts: Sequence[ProfileSpec], removals: Sequence[str], adopt: set[str]
) -> tuple[str, dict[str, tuple[str, str]]]:
    """The edited text, and the header and text of each section written (by profile name)."""
    newline = doc.newline
    if upserts:
        check_defaults(doc)
    replacements: dict[str, str] = {}
    appended: list[ProfileSpec] = []
    ours: dict[str, tuple[str, str]] = {}
    for spec in upserts:
        _check_name(spec.name, doc)
        _check_takeover(doc, spec.name, spec.login_session, spec.name in adopt)
        sections = doc.profile_sections(spec.name)
        if sections:
            replacements[sections[0].header] = _rewrite_section(sections[0], spec, newline)
            ours[spec.name] = (sections[0].header, replacements[sections[0].header])
        else:
            appended.append(spec)
            ours[spec.name] = (header_for(spec.name)[1:-1], _new_section(spec, newline))
    removed: list[str] = []
    for name in removals:
        for section in doc.profile_sections(name):
            if not section.owned:
                log.warning("not removing profile %r from %s: it is not managed by aws-login-tray", name, doc.path)
                continue
            if section.header in replacements:
                raise ValueError(f"profile {name!r} is both written and removed in one apply()")
            removed.append(section.header)
    text = doc.render(replacements)
    for header in removed:
        # Each removal may take a blank line from the text before it, so
        # work on a fresh parse of the current text every time.
        current = ConfigDocument(text, doc.path, validate=False)
        target = current.section(header)
        assert target is not None
        text = _remove_section(current, target)
    for spec in appended:
        text = _append(text, ours[spec.name][1], newline)
    return text, ours
