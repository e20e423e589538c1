"""Hypothesis strategies for AWS config files as people write them: comments, odd spacing, nested values."""

from __future__ import annotations

from hypothesis import strategies as st

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=10).filter(
    lambda s: s[0].isalnum()
)
keys = st.sampled_from(
    ["region", "output", "role_arn", "source_profile", "sso_session", "aws_access_key_id", "cli_pager", "foo_bar"]
)
values = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-:/=. ", min_size=0, max_size=20).map(str.strip)
delimiters = st.sampled_from([" = ", "=", "  =   ", ": ", " =\t"])
comments = st.builds(
    lambda lead, mark, body: f"{lead}{mark}{body}",
    st.sampled_from(["", "  ", "\t"]),
    st.sampled_from(["#", ";", "# ", "; "]),
    st.text(alphabet="abcdefghij [] =#;éü", max_size=15),
)


@st.composite
def option_lines(draw: st.DrawFn, key: str) -> str:
    if draw(st.booleans()) and draw(st.integers(0, 4)) == 0:
        nested = draw(st.lists(st.tuples(keys, values), min_size=1, max_size=3))
        return f"{key} =\n" + "".join(f"  {k} = {v}\n" for k, v in nested)
    return f"{key}{draw(delimiters)}{draw(values)}\n"


@st.composite
def section_text(draw: st.DrawFn, header: str) -> str:
    lines = [f"{header}\n"]
    used: set[str] = set()
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 5))
        if kind == 0:
            lines.append(draw(comments) + "\n")
        elif kind == 1:
            lines.append("\n")
        else:
            key = draw(keys)
            if key in used:
                continue
            used.add(key)
            lines.append(draw(option_lines(key)))
    return "".join(lines)


@st.composite
def config_files(draw: st.DrawFn) -> str:
    parts = [draw(comments) + "\n" for _ in range(draw(st.integers(0, 2)))]
    headers: list[str] = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.integers(0, 5))
        name = draw(names)
        header = [
            "[default]",
            f"[profile {name}]",
            f"[profile  {name} ]",
            f'[profile "{name} x"]',
            f"[sso-session {name}]",
            f"[services {name}]",
        ][kind]
        if header in headers or header.replace(" ", "") in {h.replace(" ", "") for h in headers}:
            continue
        headers.append(header)
        if draw(st.booleans()):
            parts.append("\n" * draw(st.integers(1, 2)))
        parts.append(draw(section_text(header)))
    text = "".join(parts)
    if text and draw(st.integers(0, 9)) == 0:
        text = text.rstrip("\n")  # some editors leave no final newline
    return text
