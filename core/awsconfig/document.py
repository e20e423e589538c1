"""Reading the user's AWS config file: one cheap scan for sections, full parsing only where an edit looks.

A section is *ours* when the line directly under its header is the
:data:`MARKER` comment; see :mod:`core.awsconfig.writer` for the rules of editing.
"""

from __future__ import annotations

import codecs
import configparser
import contextlib
import gc
import re
import shlex
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from configupdater import Comment, ConfigUpdater, Option, Section
from configupdater.block import Block

from core.domain.errors import ConfigFileError
from core.storage.atomic import read_regular_file

_SECTION_HEADER = configparser.RawConfigParser.SECTCRE
"""configparser's own header rule (the one botocore's reader applies)."""
_BRACKET_LINE = re.compile(r"^[^\S\n]*\[", re.MULTILINE)
"""Lines whose first non-blank character is ``[``: the only ones that can be headers."""


_SIMPLE_PROFILE_HEADER = re.compile(r"profile[^ \t\r\n'\"\\]*[ \t\r\n]+([^ \t\r\n'\"\\]+)[ \t\r\n]*")
"""``profile… NAME`` without quotes or escapes: what shlex would split into exactly these two words."""

MARKER = "# managed by aws-login-tray: edits to region and credential lines are overwritten"
"""The comment line under the header of every section we own."""
MARKER_PREFIX = "# managed by aws-login-tray"
"""How ownership is recognised (the rest of the marker line may change between versions)."""


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
        self.source = path
        """The file this section is in (for messages)."""
        self._parser = parser
        self._settings = settings
        self._parts = parts

    def __repr__(self) -> str:
        return f"ConfigSection({self.header!r}, line {self.lineno})"

    @property
    def header_line(self) -> str:
        """The header line exactly as written, line end included (if it has one)."""
        return _split_lines(self.text)[0] if self.text else ""

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


_LONE_CR = re.compile(r"\r(?!\n)")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
LINE_ENDS = ("\n", "\r")
"""What a line can end with (CR, CRLF or LF)."""


def as_read(text: str) -> str:
    """``text`` with every lone CR turned into LF: the same length, the same offsets.

    botocore opens the file in text mode, where CR, CRLF and LF all end a
    line; scanning this view finds the lines botocore finds.
    """
    return _LONE_CR.sub("\n", text) if "\r" in text else text


def split_lines(text: str) -> list[str]:
    """Lines with their ends, split where botocore's reader splits them (CR, CRLF or LF)."""
    if "\r" in text:
        return _LINE.findall(text)
    pieces = text.split("\n")
    lines = [piece + "\n" for piece in pieces[:-1]]
    if pieces[-1]:
        lines.append(pieces[-1])
    return lines


_split_lines = split_lines


def _line_count(text: str) -> int:
    return len(_split_lines(text))


def _is_comment_line(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and stripped[0] in "#;"


def _scan_headers(text: str) -> list[tuple[int, int, str]] | None:
    """``(offset, line, name)`` of every section header, in one pass over the text.

    A line in the first column that matches configparser's header rule is a
    header whatever precedes it. An *indented* one is a header or part of
    the previous value depending on context; such files and duplicate
    headers return None so the caller takes the full, slower parse.
    """
    text = as_read(text)
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
        if match.end() - 1 != start or name in seen:
            return None
        if name != configparser.DEFAULTSECT:  # configparser merges repeated [DEFAULT] sections
            seen.add(name)
        lineno += text.count("\n", counted, start)
        counted = start
        found.append((start, lineno, name))
    return found


def _newline_of(text: str) -> str:
    """The line end new lines get: the file's own (CRLF, a lone CR, or LF)."""
    if "\r\n" in text:
        return "\r\n"
    if "\r" in text and "\n" not in text:
        return "\r"
    return "\n"


def _is_owned(text: str, header_end: int) -> bool:
    """Whether the line right under a header (ending at ``header_end``) is our marker comment."""
    if header_end < 0:
        return False
    end = text.find("\n", header_end + 1)
    return text[header_end + 1 : None if end < 0 else end].lstrip().startswith(MARKER_PREFIX)


def unsafe_config_error(path: Path) -> ConfigFileError:
    """The error for a file whose edit would change lines outside the edited sections."""
    return ConfigFileError(f"{path}: cannot be edited without changing other lines; nothing was changed")


class _CollectorHold:
    """Who holds the cycle collector paused (see :func:`gc_paused`)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holders = 0
        self.was_enabled = False


_HOLD = _CollectorHold()


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Hold CPython's cycle collector while a large file is parsed and edited.

    A config of 20,000 profiles becomes some 200,000 small containers (the
    parser's and ours); the generational collector would walk all of them
    again and again while they are built, which costs more than the parse.
    None of them form garbage cycles, so collection simply waits until the
    outermost holder is done (nesting and threads are safe).
    """
    with _HOLD.lock:
        if _HOLD.holders == 0:
            _HOLD.was_enabled = gc.isenabled()
            gc.disable()
        _HOLD.holders += 1
    try:
        yield
    finally:
        with _HOLD.lock:
            _HOLD.holders -= 1
            if _HOLD.holders == 0 and _HOLD.was_enabled:
                gc.enable()


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


parse_config_lines = _run_configparser


def _section_values(section: ConfigSection) -> dict[str, str]:
    parser = _run_configparser(_split_lines(section.text), section.source, section.lineno - 1)
    if parser.sections() != [section.header]:
        raise unsafe_config_error(section.source)
    return dict(parser.items(section.header))


def _updater_blocks(lines: list[str], path: Path, offset: int = 0, *, validated: bool = False) -> list[Block]:
    """The blocks configupdater finds in ``lines``, checked to give back exactly the same text."""
    # configupdater treats an indented comment as a value line; configparser
    # (and so botocore) as a comment. Unindent comments for the structure
    # scan only: line numbers and counts stay the same. configupdater splits
    # lines at LF only, so it reads lone CRs as LFs (the same line count).
    scan_text = as_read("".join(line.lstrip() if _is_comment_line(line) else line for line in lines))
    # Text configparser has read already may repeat [DEFAULT], which configparser merges.
    updater = ConfigUpdater(strict=not validated)
    try:
        updater.read_string(scan_text, source=str(path))
    except configparser.Error as exc:
        raise _parse_error(path, exc, offset) from None
    if str(updater) != scan_text:
        raise unsafe_config_error(path)
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
        raise unsafe_config_error(path)
    return tuple(parts), inner


def _section_parts(section: ConfigSection) -> tuple[ConfigPart, ...]:
    lines = _split_lines(section.text)
    blocks = _updater_blocks(lines, section.source, section.lineno - 1)
    if len(blocks) != 1 or not isinstance(blocks[0], Section) or blocks[0].name != section.header:
        raise unsafe_config_error(section.source)
    parts, end = _parts_of(blocks[0], lines, 0, section.source)
    if end != len(lines):
        raise unsafe_config_error(section.source)
    return parts


class ConfigDocument:
    """A parsed config file that can be turned back into the exact same text.

    One scan finds the section headers with configparser's own rule, so the
    file splits into a preamble and one exact slice of text per section.
    Values come from :mod:`configparser`, the parser botocore itself uses,
    so both agree with what the AWS tools see; the line structure of a
    section (for rewriting it) comes from configupdater, section by section,
    only when asked for. Files the scan cannot split with certainty (indented
    headers, duplicates) are parsed whole with configupdater. A ``[DEFAULT]``
    section, whose settings configparser (and so botocore) gives every
    section, is kept as a section of its own that is never a profile; its
    settings show in every section's :attr:`~ConfigSection.settings`.
    """

    def __init__(
        self,
        text: str,
        path: Path,
        *,
        validate: bool = True,
        parsed: configparser.RawConfigParser | None = None,
    ) -> None:
        """Parse ``text`` (the content of ``path``).

        Args:
            text: the file's content.
            path: the file, for messages.
            validate: parse the whole text with configparser now. Without it,
                sections are parsed only when their values or parts are used;
                an edit then validates its result instead.
            parsed: configparser's reading of exactly this text, when the
                caller has one already (it is not parsed again).

        Raises:
            ConfigFileError: syntax errors, duplicate sections or keys.
        """
        self.path = path
        self.text = text
        self.newline = _newline_of(text)
        self._by_profile: dict[str, list[ConfigSection]] | None = None
        headers = _scan_headers(text)
        has_defaults = headers is not None and any(name == configparser.DEFAULTSECT for _, _, name in headers)
        # [DEFAULT] settings belong to every section: values then come from one whole parse.
        parser = parsed
        if parser is None and (validate or has_defaults):
            parser = _run_configparser(_split_lines(text), path)
        if headers is None or (
            parser is not None
            and parser.sections() != [name for _, _, name in headers if name != configparser.DEFAULTSECT]
        ):
            if parser is None:
                parser = _run_configparser(_split_lines(text), path)
            self._chunks, self.sections = _parse_whole(text, path, parser)
            return
        self._chunks = []
        self.sections = []
        view = as_read(text)
        if not headers or headers[0][0] > 0:
            self._chunks.append(text[: headers[0][0] if headers else len(text)])
        for index, (start, lineno, name) in enumerate(headers):
            end = headers[index + 1][0] if index + 1 < len(headers) else len(text)
            section = ConfigSection(
                header=name,
                lineno=lineno,
                text=text[start:end],
                path=path,
                owned=_is_owned(view, view.find("\n", start, end)),
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
        with gc_paused():
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
    named: list[ConfigSection] = []  # the sections configparser lists (all but [DEFAULT])
    cursor = 0
    for block in _updater_blocks(lines, path, validated=True):
        count = _line_count(str(block))
        if not isinstance(block, Section):
            chunks.append("".join(lines[cursor : cursor + count]))
            cursor += count
            continue
        if block.name != configparser.DEFAULTSECT and (len(named) >= len(names) or names[len(named)] != block.name):
            raise unsafe_config_error(path)
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
        if block.name != configparser.DEFAULTSECT:
            named.append(section)
        cursor = end
    if cursor != len(lines) or len(named) != len(names):
        raise unsafe_config_error(path)
    return chunks, sections


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
    if len(parts) == 2:  # botocore takes any header starting with "profile" that splits in two
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
        raw = read_regular_file(path, limit=1 << 30)  # a FIFO in its place would block forever
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise ConfigFileError(f"{path}: cannot be read ({exc.strerror or exc}); nothing was changed") from None
    if raw.startswith(codecs.BOM_UTF8):
        raise ConfigFileError(
            f"{path}: line 1: the file starts with a byte-order mark, which the AWS CLI and SDKs cannot read;"
            " save it as UTF-8 without a BOM; nothing was changed"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = len(re.findall(rb"\r\n|\r|\n", raw[: exc.start])) + 1
        raise ConfigFileError(f"{path}: line {line}: not valid UTF-8 text; nothing was changed") from None


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
