"""Print the .deb's copyright file: the app's licence, then every bundled distribution with its own.

Run by scripts/package.sh with the interpreter the bundle is frozen from, so
the list is exactly the app's runtime dependencies installed there.
"""

from __future__ import annotations

import platform
import sys
from importlib import metadata

from packaging.requirements import Requirement

APP = "aws-login-tray"
HEADER = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: aws-login-tray
Comment: A self-contained build. Besides the app it bundles CPython and the
 Python distributions listed under usr/lib/aws-login-tray/_internal/, with
 the shared libraries they ship (Qt through PySide6, OpenSSL through
 cryptography, the AWS CRT through awscrt), each under its own licence.

Files: *
Copyright: aws-login-tray contributors
License: Apache-2.0
 On Debian systems the full text of the Apache License 2.0 is in
 /usr/share/common-licenses/Apache-2.0.

Files: usr/lib/aws-login-tray/_internal/*
Copyright: the authors of each component below
License: bundled
 Each component's licence, as its package metadata declares it:
"""


def licence(dist: metadata.Distribution) -> str:
    """The declared licence: the SPDX expression, else the trove classifiers, else a short License field."""
    meta = dist.metadata
    if meta.get("License-Expression"):
        return str(meta["License-Expression"])
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    if classifiers:
        return " / ".join(classifiers)
    declared = (meta.get("License") or "").strip()
    return declared if declared and len(declared) < 80 and "\n" not in declared else "see its metadata"


def runtime_closure(name: str) -> list[metadata.Distribution]:
    """``name``'s dependencies, recursively, as installed (extras only where a requirement asks for them)."""
    seen: dict[str, metadata.Distribution] = {}
    pending: list[tuple[str, frozenset[str]]] = [(name, frozenset())]
    while pending:
        current, extras = pending.pop()
        dist = metadata.distribution(current)
        key = dist.metadata["Name"].lower()
        first_visit = key not in seen
        seen[key] = dist
        for line in dist.requires or []:
            requirement = Requirement(line)
            environments = [{"extra": extra} for extra in extras] or [{"extra": ""}]
            if requirement.marker and not any(requirement.marker.evaluate(env) for env in environments):
                continue
            if first_visit or requirement.extras:
                pending.append((requirement.name, frozenset(requirement.extras)))
    return [seen[key] for key in sorted(seen) if key != APP]


def main() -> int:
    """Write the copyright file to stdout."""
    lines = [HEADER.rstrip("\n")]
    lines.append(f" CPython {platform.python_version()}: PSF-2.0")
    lines.extend(f" {d.metadata['Name']} {d.version}: {licence(d)}" for d in runtime_closure(APP))
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
