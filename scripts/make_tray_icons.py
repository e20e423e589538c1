"""Write the tray status icons (resources/icons/tray-STATUS-THEME.svg): `python scripts/make_tray_icons.py`.

One filled glyph (a cloud with a key) with an outline in the opposite tone,
so it reads on light and dark panels alike, and a large status badge that
takes about a third of the icon: at 22 px the badge is what the eye finds.

Themes: ``auto`` (light glyph, dark outline: readable on any panel, the
default), ``light`` (a dark glyph for light panels) and ``dark`` (a white
glyph for dark panels).
"""

from __future__ import annotations

from pathlib import Path

CLOUD = "M16 43a11 11 0 0 1-1.6-21.9A15 15 0 0 1 43.2 18.6 12.2 12.2 0 0 1 45 43Z"
THEMES = {
    # theme: (glyph fill, outline, key)
    "auto": ("#f5f7fa", "#1f2933", "#1f2933"),
    "light": ("#1f2933", "#ffffff", "#f5f7fa"),
    "dark": ("#ffffff", "#0b0f14", "#1f2933"),
}
BADGES = {
    "fresh": (
        "#1f8a44",
        '<path d="M40 47.5l5 5 9-10" fill="none" stroke="#fff" stroke-width="4" '
        'stroke-linecap="round" stroke-linejoin="round"/>',
    ),
    "expiring": (
        "#c26a00",
        '<path d="M47 39.5v8.5l5.5 3.5" fill="none" stroke="#fff" stroke-width="3.6" '
        'stroke-linecap="round" stroke-linejoin="round"/>',
    ),
    "retrying": (
        "#c26a00",
        '<path d="M53.5 45.5a7 7 0 1 0-1.6 6.6" fill="none" stroke="#fff" stroke-width="3.4" '
        'stroke-linecap="round"/><path d="M55.5 39.5v7h-7z" fill="#fff"/>',
    ),
    "attention": (
        "#c81e28",
        '<path d="M47 38.5v10" stroke="#fff" stroke-width="4.4" stroke-linecap="round"/>'
        '<circle cx="47" cy="55" r="2.6" fill="#fff"/>',
    ),
    "empty": ("#66707c", '<path d="M47 39.5v15M39.5 47h15" stroke="#fff" stroke-width="3.8" stroke-linecap="round"/>'),
}


def icon(status: str, theme: str) -> str:
    fill, outline, key = THEMES[theme]
    ring = "#ffffff" if theme == "light" else outline
    colour, mark = BADGES[status]
    faded = ' opacity="0.7"' if status == "empty" else ""
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
  <!-- aws-login-tray status icon: {status}, {theme} theme (written by scripts/make_tray_icons.py) -->
  <g{faded}>
    <path d="{CLOUD}" fill="{fill}" stroke="{outline}" stroke-width="4" stroke-linejoin="round"/>
    <circle cx="22" cy="31" r="4.6" fill="none" stroke="{key}" stroke-width="3.4"/>
    <path d="M26.5 31h9.5v4.5M32 31v3.5" fill="none" stroke="{key}" stroke-width="3.4" stroke-linecap="round"/>
  </g>
  <circle cx="47" cy="47" r="16" fill="{colour}" stroke="{ring}" stroke-width="2.5"/>
  {mark}
</svg>
"""


def main() -> None:
    out = Path(__file__).resolve().parent.parent / "resources" / "icons"
    for status in BADGES:
        for theme in THEMES:
            (out / f"tray-{status}-{theme}.svg").write_text(icon(status, theme), encoding="utf-8")


if __name__ == "__main__":
    main()
