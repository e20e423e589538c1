"""The one edit made to sections we do not own: ``sts_regional_endpoints = regional``.

Only that line changes (or is added after the section's last setting);
every other byte stays as it is. The writer validates the whole result.
"""

from __future__ import annotations

import re

from core.awsconfig.document import LINE_ENDS, ConfigSection, split_lines, unsafe_config_error

_STS_KEY_LINE = re.compile(r"^(?P<lead>[ \t]*sts_regional_endpoints[ \t]*[=:][ \t]*)", re.IGNORECASE)
_STS_LINE = "sts_regional_endpoints = regional"


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped[0] in "#;"


def with_regional_sts(section: ConfigSection, newline: str) -> str:
    """The section's text with ``sts_regional_endpoints = regional`` set, nothing else changed."""
    if "sts_regional_endpoints" not in section.text.lower():
        return _with_line_added(section, newline)
    header = section.header_line if section.header_line.endswith(LINE_ENDS) else section.header_line + newline
    parts = [part.text for part in section.parts]
    for index, part in enumerate(section.parts):
        if part.kind == "option" and part.key == "sts_regional_endpoints":
            first, *rest = split_lines(parts[index])
            match = _STS_KEY_LINE.match(first)
            if match is None:
                raise unsafe_config_error(section.source)
            line_end = first[len(first.rstrip("\r\n")) :] or newline
            # Continuation lines of the old value go with it; comment lines stay.
            comments = [line for line in rest if _is_comment_or_blank(line)]
            parts[index] = match.group("lead") + "regional" + line_end + "".join(comments)
            return header + "".join(parts)
    # Our marker must stay right under the header, so nothing goes above it.
    lowest = 1 if section.owned and section.parts else 0
    last_option = max((i for i, p in enumerate(section.parts) if p.kind == "option"), default=lowest - 1)
    if last_option >= 0 and not parts[last_option].endswith(LINE_ENDS):
        parts[last_option] += newline
    parts.insert(last_option + 1, _STS_LINE + newline)
    return header + "".join(parts)


def _with_line_added(section: ConfigSection, newline: str) -> str:
    """The section's text with the line added after its last setting (the section does not name the key).

    A line that is neither blank nor a comment belongs to a setting (or
    continues one), so the new line goes right after the last of them,
    where the structure parse would put it, without that parse: the doctor
    fixes thousands of profiles at once.
    """
    lines = split_lines(section.text)
    after = 1 if section.owned and len(lines) > 1 else 0  # our marker stays right under the header
    last = max((i for i, line in enumerate(lines) if i and not _is_comment_or_blank(line)), default=after)
    if not lines[last].endswith(LINE_ENDS):
        lines[last] += newline
    lines.insert(last + 1, _STS_LINE + newline)
    return "".join(lines)
