"""Who a profile belongs to, and what to do when a sign-in comes back as someone else.

The AWS sign-in page lists every console session of the browser; one wrong
click signs in as another principal. A profile that already belongs to a
principal must never silently receive another principal's credentials: every
tool using it would act in the wrong account. So before a sign-in result is
installed under a requested profile name, core compares the principal that
signed in with the one the name is bound to:

* a session's profile is bound to that session's ARN;
* a name that starts with an account id (``777788889999-root``, the shape of
  the default names) is bound to that account, so no profile name carries
  another account's id.

On a mismatch the front end is asked (``MismatchHandler``): add the sign-in as
a new session under its own default name, or cancel. Without a handler (the
CLI) the sign-in fails with :class:`core.domain.errors.PrincipalMismatch`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from core.domain.errors import PrincipalMismatch, ProfileConflict, SignInCancelled
from core.domain.model import Identity, Session

_ACCOUNT_PREFIX = re.compile(r"^(\d{12})(?:-|$)")


@dataclass(frozen=True)
class ProfileBinding:
    """The principal a profile name already belongs to."""

    profile_name: str
    arn: str | None = None
    """Bound to exactly this principal (a session's profile)."""
    account_id: str | None = None
    """Bound to this account only (the name starts with its id)."""

    def accepts(self, identity: Identity) -> bool:
        """True when ``identity`` may hold this profile."""
        if self.arn is not None:
            return identity.arn == self.arn
        return self.account_id is None or identity.account_id == self.account_id

    @property
    def owner(self) -> str:
        """Words for who the profile belongs to."""
        return self.arn if self.arn is not None else f"account {self.account_id}"


def binding_for(profile_name: str | None, sessions: Iterable[Session]) -> ProfileBinding | None:
    """Who ``profile_name`` belongs to, or None when any principal may take it."""
    if profile_name is None:
        return None
    owner = next((s for s in sessions if profile_name in (s.profile_name, *s.other_profiles)), None)
    if owner is not None:
        return ProfileBinding(profile_name, arn=owner.identity.arn)
    prefix = _ACCOUNT_PREFIX.match(profile_name)
    if prefix is not None:
        return ProfileBinding(profile_name, account_id=prefix.group(1))
    return None


@dataclass(frozen=True)
class MismatchQuestion:
    """What a front end is asked after a sign-in returned another principal."""

    profile_name: str
    expected: str
    """Who the profile belongs to (an ARN or ``account N``)."""
    signed_in: Identity
    new_profile_name: str
    """The name the sign-in gets if added as a new session (its own default, or its existing profile)."""
    renews_existing: bool
    """True when that principal already has a session: adding renews it instead of adding a sixth."""

    def describe(self) -> str:
        """One paragraph naming both principals."""
        return mismatch_message(self.profile_name, self.expected, self.signed_in)


MismatchHandler = Callable[[MismatchQuestion], Awaitable[bool]]
"""Asks the user; True: add the sign-in as a new session, False: cancel (nothing is kept)."""


def mismatch_message(profile_name: str, expected: str, signed_in: Identity) -> str:
    """The sentence for a mismatch, naming both principals."""
    return (
        f"Profile {profile_name} belongs to {expected}, but the browser signed in as {signed_in.arn} "
        f"(account {signed_in.account_id}). Profile {profile_name} was left unchanged. "
        "On the sign-in page, pick the card of the principal the profile belongs to, "
        "or sign in without naming a profile to add a new session."
    )


def mismatch_error(binding: ProfileBinding, signed_in: Identity) -> PrincipalMismatch:
    """The error a front end without a handler reports."""
    return PrincipalMismatch(
        mismatch_message(binding.profile_name, binding.owner, signed_in),
        binding.profile_name,
        binding.owner,
        signed_in.arn,
    )


async def ask_to_add(
    binding: ProfileBinding,
    identity: Identity,
    on_mismatch: MismatchHandler | None,
    *,
    new_profile_name: str,
    renews_existing: bool,
) -> None:
    """Ask the front end about a mismatch; returns only when it chose "add as a new session".

    Raises:
        PrincipalMismatch: no one to ask (the CLI).
        SignInCancelled: the user cancelled; the sign-in's tokens are dropped.
    """
    if on_mismatch is None:
        raise mismatch_error(binding, identity)
    question = MismatchQuestion(binding.profile_name, binding.owner, identity, new_profile_name, renews_existing)
    if not await on_mismatch(question):
        raise SignInCancelled(f"The sign-in as {identity.arn} was discarded; {binding.profile_name} is unchanged.")


def free_default_name(identity: Identity, taken: set[str], check_available: Callable[[str], object]) -> str:
    """The identity's default profile name (``account-role``), numbered past names in use.

    Derived from the identity itself, so a default name never carries another account's id.
    """
    base = identity.default_profile_name
    candidate, counter = base, 2
    while True:
        if candidate not in taken:
            try:
                check_available(candidate)
            except ProfileConflict:
                pass
            else:
                return candidate
        candidate = f"{base}-{counter}"
        counter += 1
