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
  regional`` and exactly one of ``credential_process`` / ``login_session``.
  Other settings a person adds to our section (``output = json``, comments)
  are kept; our three lines are rewritten.
* A profile that already holds another credential style (access keys, a role,
  SSO, web identity, a credential process or another ``aws login`` session) is
  refused with :class:`~core.errors.ProfileConflict`, worded like ``aws login``
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
  UTF-8) raises :class:`~core.errors.ConfigFileError` naming file and line;
  nothing is written.
"""

from __future__ import annotations

import configparser
import contextlib
import logging
import re
import shlex
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import filelock
from configupdater import Comment, ConfigUpdater, Option, Section
from configupdater.block import Block

from core.atomic import atomic_write_bytes
from core.errors import ConfigFileError, ProfileConflict

log = logging.getLogger(__name__)

MARKER = "# managed by aws-login-tray: edits to region and credential lines are overwritten"
"""The comment line under the header of every section we own."""
MARKER_PREFIX = "# managed by aws-login-tray"
"""How ownership is recognised (the rest of the marker line may change between versions)."""
BACKUP_SUFFIX = ".aws-login-tray.bak"
LOCK_TIMEOUT_SECONDS = 30.0

MANAGED_KEYS = ("region", "sts_regional_endpoints", "credential_process", "login_session")
"""The keys we rewrite in a section we own."""

_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+-\d+$")
_STS_KEY_LINE = re.compile(
    r"^(?P<lead>[ \t]*sts_regional_endpoints[ \t]*[=:][ \t]*)(?P<value>.*?)(?P<eol>\r?\n)?$", re.IGNORECASE
)

_STYLE_WEB_IDENTITY = "Web Identity"
_STYLE_SSO = "SSO"
_STYLE_ACCESS_KEY = "Access Key"
_STYLE_ROLE = "Assume Role"
_STYLE_PROCESS = "Credential Process"
_STYLE_LOGIN = "another aws login session"


@dataclass(frozen=True)
class ProfileSpec:
    """One profile we want in the config file.

    Exactly one of ``credential_process`` and ``login_session`` must be set.
    """

    name: str
    region: str
    credential_process: str | None = None
    login_session: str | None = None


@dataclass(frozen=True)
class ConfigPart:
    """One piece of a section's body: an option (with its continuation lines), a comment or blank lines."""

    kind: str
    """``option``, ``comment`` or ``space``."""
    key: str | None
    """The option name in lower case (options only)."""
    text: str
    """The exact original text, line ends included."""


class ConfigSection:
    """One section of the config file (read-only view).

    The header, position, text and ownership come from one scan of the
    file; values and the line structure are parsed the first time they are
    asked for, from this section's text alone (a section starts at a header
    in the first column, where :mod:`configparser` carries no state over from
    the text before it), so an edit parses only the sections it touches.
    """

    def __init__(
        self,
        *,
        header: str,
        lineno: int,
        text: str,
        path: Path,
        owned: bool,
        parser: configparser.RawConfigParser | None = None,
        settings: dict[str, str] | None = None,
        parts: tuple[ConfigPart, ...] | None = None,
    ) -> None:
        self.header = header
        """The text between the brackets, e.g. ``profile dev`` or ``sso-session corp``."""
        self.profile = profile_name_of(header)
        """The profile name botocore derives from the header, or None for other sections."""
        self.owned = owned
        self.lineno = lineno
        """1-based line of the header."""
        self.text = text
        """The section's exact original text (header line, body, trailing comments and blank lines)."""
        end = text.find("\n")
        self.header_line = text if end < 0 else text[: end + 1]
        self._path = path
        self._parser = parser
        self._settings = settings
        self._parts = parts

    def __repr__(self) -> str:
        return f"ConfigSection({self.header!r}, line {self.lineno})"

    @property
    def settings(self) -> dict[str, str]:
        """Option names to values exactly as botocore's parser reads them.

        Raises:
            ConfigFileError: the section cannot be parsed (file and line named).
        """
        if self._settings is None:
            if self._parser is not None:
                self._settings = dict(self._parser.items(self.header))
            else:
                self._settings = _section_values(self)
        return self._settings

    @property
    def parts(self) -> tuple[ConfigPart, ...]:
        """The body's pieces (options with their continuation lines, comments, blank lines), in order.

        Raises:
            ConfigFileError: the section's lines cannot be told apart safely.
        """
        if self._parts is None:
            self._parts = _section_parts(self)
        return self._parts


def _split_lines(text: str) -> list[str]:
    """Lines with their ends, split only at line feeds (as configparser reads a file)."""
    pieces = text.split("\n")
    lines = [piece + "\n" for piece in pieces[:-1]]
    if pieces[-1]:
        lines.append(pieces[-1])
    return lines


def _line_count(text: str) -> int:
    return len(_split_lines(text))


def _is_comment_line(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and stripped[0] in "#;"


_SECTION_HEADER = configparser.RawConfigParser.SECTCRE
"""configparser's own header rule (the one botocore's reader applies)."""
_BRACKET_LINE = re.compile(r"^[^\S\n]*\[", re.MULTILINE)
"""Lines whose first non-blank character is ``[``: the only ones that can be headers."""


def _scan_headers(text: str) -> list[tuple[int, int, str]] | None:
    """``(offset, line, name)`` of every section header, in one pass over the text.

    A line in the first column that matches configparser's header rule is a
    header whatever precedes it. An *indented* one is a header or part of
    the previous value depending on context; such files, duplicate headers
    and ``[DEFAULT]`` (which configparser merges into every section) return
    None so the caller takes the full, slower parse.
    """
    found: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    lineno = 1
    counted = 0
    for match in _BRACKET_LINE.finditer(text):
        start = match.start()
        end = text.find("\n", start)
        header = _SECTION_HEADER.match(text[start : None if end < 0 else end].strip())
        if header is None:
            continue  # an option or a bad line: configparser judges it when validating
        name = header.group("header")
        if match.end() - 1 != start or name in seen or name == configparser.DEFAULTSECT:
            return None
        seen.add(name)
        lineno += text.count("\n", counted, start)
        counted = start
        found.append((start, lineno, name))
    return found


def _is_owned(text: str, header_end: int) -> bool:
    """Whether the line right under a header (ending at ``header_end``) is our marker comment."""
    if header_end < 0:
        return False
    end = text.find("\n", header_end + 1)
    return text[header_end + 1 : None if end < 0 else end].lstrip().startswith(MARKER_PREFIX)


def _unsafe(path: Path) -> ConfigFileError:
    return ConfigFileError(f"{path}: cannot be edited without changing other lines; nothing was changed")


def _run_configparser(lines: list[str], path: Path, offset: int = 0) -> configparser.RawConfigParser:
    """Parse ``lines`` as botocore's reader (``configparser.RawConfigParser``) does.

    Raises:
        ConfigFileError: naming ``path`` and the line (``offset`` lines are before ``lines``).
    """
    parser = configparser.RawConfigParser()
    try:
        parser.read_file(lines, source=str(path))
    except configparser.Error as exc:
        raise _parse_error(path, exc, offset) from None
    return parser


def _section_values(section: ConfigSection) -> dict[str, str]:
    parser = _run_configparser(_split_lines(section.text), section._path, section.lineno - 1)
    if parser.sections() != [section.header]:
        raise _unsafe(section._path)
    return dict(parser.items(section.header))


def _updater_blocks(lines: list[str], path: Path, offset: int = 0) -> list[Block]:
    """The blocks configupdater finds in ``lines``, checked to give back exactly the same text."""
    # configupdater treats an indented comment as a value line; configparser
    # (and so botocore) as a comment. Unindent comments for the structure
    # scan only: line numbers and counts stay the same.
    scan_text = "".join(line.lstrip() if _is_comment_line(line) else line for line in lines)
    updater = ConfigUpdater()
    try:
        updater.read_string(scan_text, source=str(path))
    except configparser.Error as exc:
        raise _parse_error(path, exc, offset) from None
    if str(updater) != scan_text:
        raise _unsafe(path)
    return list(updater.iter_blocks())


def _parts_of(block: Section, lines: list[str], first: int, path: Path) -> tuple[tuple[ConfigPart, ...], int]:
    """The parts of ``block`` whose header is ``lines[first]``, and the index of the line after it."""
    inner = first + 1
    parts: list[ConfigPart] = []
    for child in block.iter_blocks():
        child_count = _line_count(str(child))
        raw = "".join(lines[inner : inner + child_count])
        if isinstance(child, Option):
            parts.append(ConfigPart("option", child.key.lower(), raw))
        elif isinstance(child, Comment):
            parts.append(ConfigPart("comment", None, raw))
        else:
            parts.append(ConfigPart("space", None, raw))
        inner += child_count
    if inner != first + _line_count(str(block)):
        raise _unsafe(path)
    return tuple(parts), inner


def _section_parts(section: ConfigSection) -> tuple[ConfigPart, ...]:
    lines = _split_lines(section.text)
    blocks = _updater_blocks(lines, section._path, section.lineno - 1)
    if len(blocks) != 1 or not isinstance(blocks[0], Section) or blocks[0].name != section.header:
        raise _unsafe(section._path)
    parts, end = _parts_of(blocks[0], lines, 0, section._path)
    if end != len(lines):
        raise _unsafe(section._path)
    return parts


class ConfigDocument:
    """A parsed config file that can be turned back into the exact same text.

    One scan finds the section headers with configparser's own rule, so the
    file splits into a preamble and one exact slice of text per section.
    Values come from :mod:`configparser`, the parser botocore itself uses,
    so both agree with what the AWS tools see; the line structure of a
    section (for rewriting it) comes from configupdater, section by section,
    only when asked for. Files the scan cannot split with certainty (indented
    headers, duplicates, ``[DEFAULT]``) are parsed whole with configupdater.
    """

    def __init__(self, text: str, path: Path, *, validate: bool = True) -> None:
        """Parse ``text`` (the content of ``path``).

        Args:
            text: the file's content.
            path: the file, for messages.
            validate: parse the whole text with configparser now. Without it,
                sections are parsed only when their values or parts are used;
                an edit then validates its result instead.

        Raises:
            ConfigFileError: syntax errors, duplicate sections or keys.
        """
        self.path = path
        self.text = text
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self._by_profile: dict[str, list[ConfigSection]] | None = None
        headers = _scan_headers(text)
        parser = _run_configparser(_split_lines(text), path) if validate else None
        if headers is None or (parser is not None and parser.sections() != [name for _, _, name in headers]):
            if parser is None:
                parser = _run_configparser(_split_lines(text), path)
            self._chunks, self.sections = _parse_whole(text, path, parser)
            return
        self._chunks = []
        self.sections = []
        if not headers or headers[0][0] > 0:
            self._chunks.append(text[: headers[0][0] if headers else len(text)])
        for index, (start, lineno, name) in enumerate(headers):
            end = headers[index + 1][0] if index + 1 < len(headers) else len(text)
            section = ConfigSection(
                header=name,
                lineno=lineno,
                text=text[start:end],
                path=path,
                owned=_is_owned(text, text.find("\n", start, end)),
                parser=parser,
            )
            self._chunks.append(section)
            self.sections.append(section)

    @classmethod
    def load(cls, path: Path, *, validate: bool = True) -> ConfigDocument:
        """Read and parse ``path``; a missing file is an empty document.

        Raises:
            ConfigFileError: unreadable, not UTF-8, or not parseable.
        """
        return cls(read_config_text(path), path, validate=validate)

    def profile_sections(self, name: str) -> list[ConfigSection]:
        """Every section that defines profile ``name`` (normally zero or one)."""
        if self._by_profile is None:
            self._by_profile = {}
            for s in self.sections:
                if s.profile is not None:
                    self._by_profile.setdefault(s.profile, []).append(s)
        return list(self._by_profile.get(name, ()))

    def profiles(self) -> list[ConfigSection]:
        """Every profile section, in file order."""
        return [s for s in self.sections if s.profile is not None]

    def section(self, header: str) -> ConfigSection | None:
        """The section with exactly this header text, if any."""
        for s in self.sections:
            if s.header == header:
                return s
        return None

    def render(self, replacements: dict[str, str]) -> str:
        """The file text with some sections (by header) replaced by new text."""
        out: list[str] = []
        for chunk in self._chunks:
            if isinstance(chunk, str):
                out.append(chunk)
            else:
                out.append(replacements.get(chunk.header, chunk.text))
        return "".join(out)

    def text_before(self, section: ConfigSection) -> str:
        """All text that precedes ``section``."""
        out: list[str] = []
        for chunk in self._chunks:
            if chunk is section:
                break
            out.append(chunk if isinstance(chunk, str) else chunk.text)
        return "".join(out)


def _parse_whole(
    text: str, path: Path, parser: configparser.RawConfigParser
) -> tuple[list[str | ConfigSection], list[ConfigSection]]:
    """Chunks and sections of the whole text, structured by configupdater in one go (the general, slower way)."""
    lines = _split_lines(text)
    names = parser.sections()
    chunks: list[str | ConfigSection] = []
    sections: list[ConfigSection] = []
    cursor = 0
    for block in _updater_blocks(lines, path):
        count = _line_count(str(block))
        if not isinstance(block, Section):
            chunks.append("".join(lines[cursor : cursor + count]))
            cursor += count
            continue
        if len(sections) >= len(names) or names[len(sections)] != block.name:
            raise _unsafe(path)
        parts, end = _parts_of(block, lines, cursor, path)
        section = ConfigSection(
            header=block.name,
            lineno=cursor + 1,
            text="".join(lines[cursor:end]),
            path=path,
            owned=bool(parts) and parts[0].kind == "comment" and parts[0].text.lstrip().startswith(MARKER_PREFIX),
            settings=dict(parser.items(block.name)),
            parts=parts,
        )
        chunks.append(section)
        sections.append(section)
        cursor = end
    if cursor != len(lines) or len(sections) != len(names):
        raise _unsafe(path)
    return chunks, sections


_SIMPLE_PROFILE_HEADER = re.compile(r"profile[ \t\r\n]+([^ \t\r\n'\"\\]+)[ \t\r\n]*")
"""``profile NAME`` without quotes or escapes: what shlex would split into exactly these two words."""


def profile_name_of(header: str) -> str | None:
    """The profile a section header defines, the way botocore reads it."""
    if header == "default":
        return "default"
    if not header.startswith("profile"):
        return None
    simple = _SIMPLE_PROFILE_HEADER.fullmatch(header)
    if simple is not None:
        return simple.group(1)
    try:
        parts = shlex.split(header)
    except ValueError:
        return None
    if len(parts) == 2 and parts[0] == "profile":
        return parts[1]
    return None


def header_for(name: str) -> str:
    """``[default]`` for the default profile, ``[profile NAME]`` otherwise."""
    return "[default]" if name == "default" else f"[profile {name}]"


def read_config_text(path: Path) -> str:
    """The config file's text ("" when it does not exist yet).

    Raises:
        ConfigFileError: unreadable or not UTF-8 (with the first bad line).
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise ConfigFileError(f"{path}: cannot be read ({exc.strerror or exc}); nothing was changed") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigFileError(f"{path}: line {line}: not valid UTF-8 text; nothing was changed") from None


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
            from core.paths import AppPaths

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
        with self._locked():
            # Only the sections this edit touches are parsed here; the whole
            # result is validated once before it is written (see _commit).
            doc = ConfigDocument.load(self._target(), validate=False)
            try:
                new_text = _edit(doc, upserts, removals, set(adopt))
            except (ConfigFileError, ValueError):
                # A damaged file is reported first, exactly as a full read reports it.
                ConfigDocument(doc.text, doc.path)
                raise
            self._commit(doc, new_text, upserts)

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
        with self._locked():
            doc = ConfigDocument.load(self._target())
            replacements: dict[str, str] = {}
            changed: list[str] = []
            for name in names:
                sections = doc.profile_sections(name)
                if not sections:
                    raise ConfigFileError(f"{self.config_path}: there is no profile {name!r}; nothing was changed")
                for section in sections:
                    if section.settings.get("sts_regional_endpoints", "").strip().lower() == "regional":
                        continue
                    replacements[section.header] = _with_regional_sts(section, doc.newline)
                    if name not in changed:
                        changed.append(name)
            self._commit(doc, doc.render(replacements))
            return changed

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
        try:
            self.lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            lock = filelock.FileLock(str(self.lock_path), timeout=LOCK_TIMEOUT_SECONDS)
            lock.acquire()
        except filelock.Timeout:
            raise ConfigFileError(
                f"{self.config_path}: another program is still editing it; nothing was changed"
            ) from None
        except OSError as exc:
            raise ConfigFileError(
                f"{self.lock_path}: cannot create the lock file ({exc.strerror or exc}); nothing was changed"
            ) from None
        try:
            yield
        finally:
            lock.release()

    def _commit(self, doc: ConfigDocument, new_text: str, written: Sequence[ProfileSpec] = ()) -> None:
        if new_text == doc.text:
            ConfigDocument(doc.text, doc.path)  # nothing to write, but a damaged file is still reported
            return
        _check_result(doc, new_text, written)
        target = self._target()
        old = doc.text.encode("utf-8")
        self._write(self.backup_path, old, keep_mode_of=target if target.exists() else None)
        self._write(target, new_text.encode("utf-8"))

    def _write(self, path: Path, data: bytes, *, keep_mode_of: Path | None = None) -> None:
        try:
            # ~/.aws belongs to the user: keep the file's mode and owner, never chmod the directory.
            atomic_write_bytes(path, data, mode=None, keep_mode_of=keep_mode_of, private_dir=False)
        except OSError as exc:
            raise ConfigFileError(f"{path}: cannot be written ({exc.strerror or exc}); nothing was changed") from None


# -- parsing helpers ------------------------------------------------------------


def _parse_error(path: Path, exc: configparser.Error, offset: int = 0) -> ConfigFileError:
    """The error for a parse of ``path`` (``offset``: lines of the file before the parsed text)."""
    lineno: int | None = getattr(exc, "lineno", None)
    what = "cannot be parsed"
    if isinstance(exc, configparser.DuplicateSectionError):
        what = f"section [{exc.section}] appears twice"
    elif isinstance(exc, configparser.DuplicateOptionError):
        what = f"{exc.option!r} appears twice in section [{exc.section}]"
    elif isinstance(exc, configparser.MissingSectionHeaderError):
        what = "a setting comes before any [section] header"
    elif isinstance(exc, configparser.ParsingError):
        what = "a line is neither a [section], a 'key = value' setting nor a comment"
        if exc.errors:
            lineno = exc.errors[0][0]
    where = f"line {lineno + offset}: " if lineno else ""
    return ConfigFileError(f"{path}: {where}{what}; nothing was changed")


def _credential_style(settings: dict[str, str], login_session: str | None) -> str | None:
    """The credential style a profile already holds, named as ``aws login`` names it."""
    if "web_identity_token_file" in settings:
        return _STYLE_WEB_IDENTITY
    if any(key == "sso_session" or key.startswith("sso_") for key in settings):
        return _STYLE_SSO
    if any(key in settings for key in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")):
        return _STYLE_ACCESS_KEY
    if any(key in settings for key in ("role_arn", "source_profile", "credential_source")):
        return _STYLE_ROLE
    if "credential_process" in settings and "aws-login-tray" not in settings["credential_process"]:
        return _STYLE_PROCESS
    existing = settings.get("login_session")
    if existing is not None and (login_session is None or existing.strip() != login_session):
        return _STYLE_LOGIN
    return None


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
            f"Profile {name!r} is defined more than once in {doc.path} ([default] and [profile default]);"
            f" use another name such as {suggestion!r}.",
            name,
            suggestion,
        )
    section = sections[0]
    if section.owned:
        section.parts  # noqa: B018 - parsing it proves we can rewrite it (ConfigFileError otherwise)
        return
    style = _credential_style(section.settings, login_session)
    if style is not None:
        raise ProfileConflict(
            f"Profile {name!r} is already configured with {style} credentials. Use another profile name"
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


def _check_result(doc: ConfigDocument, new_text: str, written: Sequence[ProfileSpec]) -> None:
    """Make sure botocore reads ``new_text`` whole, and reads our profiles as written.

    This one configparser parse of the result also validates every section
    the edit copied through untouched (their bytes are the same as before).

    Raises:
        ConfigFileError: the original file is damaged (its own line named), or the result is not right.
    """
    try:
        result = ConfigDocument(new_text, doc.path)
    except ConfigFileError:
        ConfigDocument(doc.text, doc.path)  # damage in the original: name its line, not the result's
        raise _unsafe(doc.path) from None
    for spec in written:
        sections = result.profile_sections(spec.name)
        if len(sections) != 1 or not sections[0].owned:
            raise _unsafe(doc.path)
        settings = sections[0].settings
        if (
            settings.get("region") != spec.region
            or settings.get("sts_regional_endpoints") != "regional"
            or settings.get("credential_process") != spec.credential_process
            or settings.get("login_session") != spec.login_session
        ):
            raise _unsafe(doc.path)
        sections[0].parts  # noqa: B018 - our section must stay editable next time


def _validate_spec(spec: ProfileSpec) -> None:
    if (spec.credential_process is None) == (spec.login_session is None):
        raise ValueError(f"profile {spec.name!r}: set exactly one of credential_process and login_session")
    if not _REGION.match(spec.region):
        raise ValueError(f"profile {spec.name!r}: {spec.region!r} is not an AWS Region name")
    for value in (spec.credential_process, spec.login_session):
        if value is not None and (not value.strip() or value != value.strip() or any(c in value for c in "\r\n")):
            raise ValueError(f"profile {spec.name!r}: a value must be one non-empty line without outer spaces")


# -- editing ------------------------------------------------------------------


def _managed_lines(spec: ProfileSpec, newline: str) -> str:
    lines = [MARKER, f"region = {spec.region}", "sts_regional_endpoints = regional"]
    if spec.credential_process is not None:
        lines.append(f"credential_process = {spec.credential_process}")
    else:
        lines.append(f"login_session = {spec.login_session}")
    return "".join(line + newline for line in lines)


_CREDENTIAL_KEYS = frozenset(
    {
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "role_arn",
        "source_profile",
        "credential_source",
        "web_identity_token_file",
        "sso_session",
    }
)


def _drops(part: ConfigPart) -> bool:
    """Whether a line of our own section is rewritten (so the old one goes)."""
    if part.kind == "comment":
        return part.text.lstrip().startswith(MARKER_PREFIX)
    if part.kind == "option" and part.key is not None:
        key = part.key
        return key in MANAGED_KEYS or key in _CREDENTIAL_KEYS or key.startswith("sso_")
    return False


def _header_line(section: ConfigSection, newline: str) -> str:
    """The section's header line exactly as written (with a line end added if it had none)."""
    line = section.header_line
    return line if line.endswith("\n") else line + newline


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
    if not text.endswith("\n"):
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


def _edit(doc: ConfigDocument, upserts: Sequence[ProfileSpec], removals: Sequence[str], adopt: set[str]) -> str:
    newline = doc.newline
    replacements: dict[str, str] = {}
    appended: list[ProfileSpec] = []
    for spec in upserts:
        _check_name(spec.name, doc)
        _check_takeover(doc, spec.name, spec.login_session, spec.name in adopt)
        sections = doc.profile_sections(spec.name)
        if sections:
            replacements[sections[0].header] = _rewrite_section(sections[0], spec, newline)
        else:
            appended.append(spec)
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
        text = _append(text, _new_section(spec, newline), newline)
    return text


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped[0] in "#;"


def _with_regional_sts(section: ConfigSection, newline: str) -> str:
    """The section's text with ``sts_regional_endpoints = regional`` set, nothing else changed."""
    header = _header_line(section, newline)
    parts = [part.text for part in section.parts]
    for index, part in enumerate(section.parts):
        if part.kind == "option" and part.key == "sts_regional_endpoints":
            first, sep, rest = parts[index].partition("\n")
            match = _STS_KEY_LINE.match(first + sep)
            assert match is not None
            line_end = ("\r" if first.endswith("\r") else "") + (sep or newline)
            # Continuation lines of the old value go with it; comment lines stay.
            comments = [line for line in rest.splitlines(keepends=True) if _is_comment_or_blank(line)]
            parts[index] = match.group("lead") + "regional" + line_end + "".join(comments)
            return header + "".join(parts)
    last_option = max((i for i, p in enumerate(section.parts) if p.kind == "option"), default=-1)
    if last_option >= 0 and not parts[last_option].endswith("\n"):
        parts[last_option] += newline
    parts.insert(last_option + 1, "sts_regional_endpoints = regional" + newline)
    return header + "".join(parts)
