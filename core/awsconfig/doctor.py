"""Find profiles whose STS calls go to the global endpoint, and fix them on request.

The scan only reads the config file. :func:`fix` makes one kind of edit:
``sts_regional_endpoints = regional`` on the profiles the user picked. It is
the only change aws-login-tray ever makes to a section it does not own,
because the user asked for exactly that line, and it goes through the same
writer (lock, backup, atomic replace) so every other byte stays as it was.
Endpoint overrides (``endpoint_url``, a ``services`` section, environment
variables) are reported but never edited: they are deliberate choices.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from core.awsconfig.document import ConfigDocument, ConfigSection, gc_paused
from core.awsconfig.writer import AwsConfigWriter
from core.storage.paths import AppPaths

GLOBAL_STS_HOST = "sts.amazonaws.com"

WHY_REGIONAL = (
    "The global endpoint https://sts.amazonaws.com is served from one Region, US East (N. Virginia), "
    "for every caller outside AWS, so a problem in that single Region stops your sign-ins and role "
    "assumptions even when the Region you work in is healthy. A regional endpoint "
    "(https://sts.REGION.amazonaws.com) answers from the Region you use: better resilience and lower "
    "latency. CloudTrail also logs each STS call in the Region that served it, so global calls land in "
    "us-east-1's trail (and carry aws:RequestedRegion = us-east-1) instead of next to the rest of your "
    "activity. AWS recommends the regional endpoints wherever possible."
)

REASON_MISSING = "sts_regional_endpoints is not set"
REASON_LEGACY = "sts_regional_endpoints = legacy"
REASON_ENV_LEGACY = "AWS_STS_REGIONAL_ENDPOINTS=legacy in the environment"
REASON_ENDPOINT = "STS endpoint override points at the global endpoint"
_ENV_NAMES = ("AWS_STS_REGIONAL_ENDPOINTS", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL")


@dataclass(frozen=True)
class Finding:
    """One profile whose STS traffic may go to the global endpoint."""

    profile: str
    reason: str
    detail: str
    explanation: str
    fixable: bool
    """True when setting ``sts_regional_endpoints = regional`` in the profile fixes it."""


def _is_global(url: str) -> bool:
    try:
        host = urlsplit(url.strip() if "://" in url else "https://" + url.strip()).hostname
    except ValueError:
        return False
    return host == GLOBAL_STS_HOST


def _services_sts_url(doc: ConfigDocument, services_name: str) -> str | None:
    section = doc.section(f"services {services_name}")
    if section is None:
        return None
    nested = section.settings.get("sts", "")
    for line in nested.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip().lower() == "endpoint_url":
            return value.strip()
    return None


def _chained_note(section: ConfigSection, session_profiles: Collection[str]) -> str:
    """For a role profile that chains from one of our session profiles: why its STS call matters most."""
    source = section.settings.get("source_profile", "").strip()
    if "role_arn" not in section.settings or source not in session_profiles:
        return ""
    return (
        f" It assumes {section.settings['role_arn'].strip()} with the aws-login-tray session profile {source!r}: "
        "that AssumeRole call is exactly the STS call this setting sends to the Region."
    )


def _profile_findings(
    doc: ConfigDocument, section: ConfigSection, env: Mapping[str, str], session_profiles: Collection[str] = ()
) -> list[Finding]:
    assert section.profile is not None
    name = section.profile
    findings: list[Finding] = []
    env_mode = env.get("AWS_STS_REGIONAL_ENDPOINTS", "").strip().lower()
    value = section.settings.get("sts_regional_endpoints", "").strip().lower()
    if env_mode == "legacy":
        findings.append(
            Finding(
                name,
                REASON_ENV_LEGACY,
                "The environment variable overrides the config file for every profile; unset it.",
                WHY_REGIONAL,
                fixable=False,
            )
        )
    elif env_mode != "regional" and value != "regional":
        if value == "legacy":
            detail = f"Profile {name!r} asks for the global endpoint explicitly."
            reason = REASON_LEGACY
        else:
            detail = (
                f"Profile {name!r} does not choose: current AWS CLI v2 and SDKs default to regional, but "
                "AWS CLI v1 and older SDKs default to legacy and send STS calls to sts.amazonaws.com."
            )
            reason = REASON_MISSING
        detail += _chained_note(section, session_profiles)
        findings.append(Finding(name, reason, detail, WHY_REGIONAL, fixable=True))
    overrides: list[tuple[str, str]] = []
    for variable in ("AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"):
        if variable in env:
            if _is_global(env[variable]):
                overrides.append((f"environment variable {variable}", env[variable]))
            break
    if "endpoint_url" in section.settings and _is_global(section.settings["endpoint_url"]):
        overrides.append(("endpoint_url", section.settings["endpoint_url"]))
    services = section.settings.get("services")
    if services:
        url = _services_sts_url(doc, services.strip())
        if url is not None and _is_global(url):
            overrides.append((f"[services {services.strip()}] sts endpoint_url", url))
    for where, url in overrides:
        findings.append(
            Finding(
                name,
                REASON_ENDPOINT,
                f"{where} = {url.strip()} sends STS calls to the global endpoint whatever "
                "sts_regional_endpoints says; use https://sts.REGION.amazonaws.com instead.",
                WHY_REGIONAL,
                fixable=False,
            )
        )
    return findings


def scan(config_path: Path, *, environ: Mapping[str, str] | None = None) -> list[Finding]:
    """List the profiles whose STS calls would go to the global endpoint (read-only).

    Raises:
        ConfigFileError: the config file cannot be read or parsed.
    """
    env = os.environ if environ is None else environ
    with gc_paused():
        return _findings(ConfigDocument.load(config_path), env)


def _findings(doc: ConfigDocument, environ: Mapping[str, str]) -> list[Finding]:
    env = {name: environ[name] for name in _ENV_NAMES if name in environ}  # one lookup each, not one per profile
    findings: list[Finding] = []
    sessions = {
        s.profile
        for s in doc.profiles()
        if s.owned and ("credential_process" in s.settings or "login_session" in s.settings)
    }
    for section in doc.profiles():
        findings.extend(_profile_findings(doc, section, env, {p for p in sessions if p is not None}))
    return findings


def fix(config_path: Path, profiles: Sequence[str], *, lock_path: Path | None = None) -> list[str]:
    """Set ``sts_regional_endpoints = regional`` on ``profiles`` (only that line changes).

    Returns:
        The profiles that were changed (a profile already set is skipped).

    Raises:
        ConfigFileError: a profile does not exist, or the file cannot be parsed or written.
    """
    return AwsConfigWriter(config_path, lock_path).set_sts_regional(profiles)


def run_cli(paths: AppPaths, *, fix: bool, profiles: Sequence[str], out: TextIO) -> int:
    """The ``doctor`` command: print findings; with ``fix``, repair the chosen (or all fixable) profiles.

    Returns:
        0 when no finding remains, 1 otherwise.

    Raises:
        ConfigFileError: the config file cannot be read, parsed or written.
    """
    with gc_paused():
        doc = ConfigDocument.load(paths.aws_config_file)
        findings = _findings(doc, os.environ)
        if fix:
            chosen = list(profiles) or sorted({f.profile for f in findings if f.fixable})
            # The writer re-reads the file under its lock (parsing it again only if it changed
            # meanwhile) and hands back its validated result, which is scanned again.
            writer = AwsConfigWriter(paths.aws_config_file, paths.locks_dir / "aws-config.lock")
            changed, doc = writer.fix_sts_regional(chosen, seen=doc)
            for name in changed:
                out.write(f"Set sts_regional_endpoints = regional in profile {name!r}.\n")
            findings = _findings(doc, os.environ)
    if not findings:
        out.write(f"Every profile in {paths.aws_config_file} uses the regional STS endpoint.\n")
        return 0
    for finding in findings:
        out.write(f"{finding.profile}: {finding.reason}. {finding.detail}\n")
    out.write(f"\nWhy it matters: {WHY_REGIONAL}\n")
    if any(f.fixable for f in findings):
        out.write("Run `aws-login-tray doctor --fix [PROFILE ...]` to set sts_regional_endpoints = regional.\n")
    return 1
