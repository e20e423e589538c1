"""Which profile names a session may take, and a friendly one to offer at its first sign-in.

Front ends check names as they are typed with :func:`name_problem`; the
manager applies the same rules when it renames (and the AWS config writer
refuses sections it does not own).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from core.domain.model import Identity, Session

_ACCOUNT_PREFIX = re.compile(r"^(\d{12})(?:-|$)")


def name_problem(name: str, *, sessions: Iterable[Session], active_profile_name: str, own: Session) -> str | None:
    """Why ``own`` cannot take profile ``name``, in words, or None."""
    if not name:
        return "A profile needs a name."
    if any(ch.isspace() or ch in "[]#;" for ch in name):
        return "A profile name has no spaces, brackets, # or ;."
    if name == active_profile_name:
        return f"“{name}” is the active profile, which follows whichever session is active."
    taken = next((s for s in sessions if s.profile_name == name and s.id != own.id), None)
    if taken is not None:
        return f"“{name}” belongs to another session ({taken.identity.display_name} in {taken.account_id})."
    prefix = _ACCOUNT_PREFIX.match(name)
    if prefix is not None and prefix.group(1) != own.account_id:
        return f"“{name}” starts with account {prefix.group(1)}, but this session is in {own.account_id}."
    return None


def friendly_name(identity: Identity, taken: Iterable[str]) -> str:
    """A short name to offer at the first sign-in: the role or user in lower case (``admin``, ``readonly``).

    When that is taken, the account's last four digits tell it apart (``admin-3333``), then a number.
    """
    used = set(taken)
    base = re.sub(r"[^a-z0-9_.-]+", "-", (identity.role_name or identity.principal_name).lower()).strip("-")
    base = base or "aws"
    for candidate in (base, f"{base}-{identity.account_id[-4:]}"):
        if candidate not in used:
            return candidate
    counter = 2
    while f"{base}-{identity.account_id[-4:]}-{counter}" in used:
        counter += 1
    return f"{base}-{identity.account_id[-4:]}-{counter}"
