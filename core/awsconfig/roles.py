"""Find the role profiles that chain from our sessions' profiles (read-only).

A profile is a role profile of a session when it has ``role_arn`` and its
``source_profile`` is that session's profile. Our own (managed) sections
and the user's hand-written ones are both found; the ``managed`` flag tells
them apart. Profiles that chain through another role profile, or use
``credential_source``, are not a session's and are left out.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from core.awsconfig.document import ConfigDocument, ConfigSection
from core.domain.roles import RoleProfile, RoleSettings


def _duration(text: str | None) -> int | None:
    try:
        return None if text is None else int(text.strip())
    except ValueError:
        return None


def _optional(settings: dict[str, str], key: str) -> str | None:
    value = settings.get(key, "").strip()
    return value or None


def _role_profile(section: ConfigSection, session_id: str) -> RoleProfile:
    settings = section.settings
    assert section.profile is not None
    return RoleProfile(
        name=section.profile,
        session_id=session_id,
        settings=RoleSettings(
            role_arn=settings["role_arn"].strip(),
            source_profile=settings["source_profile"].strip(),
            role_session_name=_optional(settings, "role_session_name"),
            duration_seconds=_duration(settings.get("duration_seconds")),
            external_id=_optional(settings, "external_id"),
        ),
        region=_optional(settings, "region"),
        managed=section.owned,
        regional_sts=settings.get("sts_regional_endpoints", "").strip().lower() == "regional",
    )


def role_profiles_in(doc: ConfigDocument, sources: Mapping[str, str], skip: Collection[str] = ()) -> list[RoleProfile]:
    """The role profiles in ``doc`` whose ``source_profile`` is a key of ``sources``.

    Args:
        doc: the parsed config file.
        sources: session profile name -> session id.
        skip: profile names to leave out (the active profile, which mirrors a role).
    """
    found: list[RoleProfile] = []
    for section in doc.profiles():
        settings = section.settings
        if section.profile is None or section.profile in skip or "role_arn" not in settings:
            continue
        session_id = sources.get(settings.get("source_profile", "").strip())
        if session_id is not None:
            found.append(_role_profile(section, session_id))
    return found


def read_role_profiles(config_path: Path, sources: Mapping[str, str], skip: Collection[str] = ()) -> list[RoleProfile]:
    """:func:`role_profiles_in` for the file at ``config_path``.

    Raises:
        ConfigFileError: the file cannot be read or parsed.
    """
    return role_profiles_in(ConfigDocument.load(config_path), sources, skip)
