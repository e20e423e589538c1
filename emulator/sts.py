"""STS for the emulator: moto's server, in this process, minting real (moto) credentials.

Every credential the emulator hands out is known to moto, so ``sts:GetCallerIdentity``
against the printed STS URL answers the login session's ARN:

* assumed roles: moto's own ``AssumeRole`` (moto takes the account from the role ARN and does
  not need the role to exist);
* IAM users: a real moto IAM user in the right account, with a temporary (``ASIA``) access
  key attached to it; moto's GetCallerIdentity finds the user through the key;
* root: moto has no root principal; a temporary key in the account plus an STS session record
  whose ARN is ``arn:aws:iam::<account>:root`` (the same record type moto keeps for assumed
  roles, so GetCallerIdentity finds it the same way).

Requests reach moto through :class:`emulator.trust.AssumeRoleGate`, which refuses an
``AssumeRole`` that AWS would refuse (unknown role, no trust, wrong external id, root caller,
too long a duration) before moto, which would grant any role to anyone, sees it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from moto.iam.models import get_account_id_from, iam_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.sts.models import AssumedRole, sts_backends
from werkzeug.serving import BaseWSGIServer, make_server

from emulator.config import ConsoleSession
from emulator.trust import AssumeRoleGate, TrustRules

_PARTITION = "aws"
#: moto annotates these optional parameters as str; None is what its own responses pass.
_ABSENT: Any = None


@dataclass(frozen=True)
class StsCredentials:
    """Temporary credentials for one login session."""

    access_key_id: str
    secret_access_key: str
    session_token: str


class _RootSession(AssumedRole):
    """moto's STS session record, answering as the account's root user."""

    @property
    def user_id(self) -> str:
        return str(self.account_id)

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:root"


class MotoSts:
    """moto's server on loopback plus the calls that mint credentials for a console session."""

    def __init__(self, host: str, region: str) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.rules = TrustRules()
        app = AssumeRoleGate(DomainDispatcherApplication(create_backend_app), self.rules, self.caller_arn)
        self._server: BaseWSGIServer = make_server(host, 0, app, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto-sts", daemon=True)
        self._region = region
        self._lock = threading.Lock()
        self._url = ""

    @property
    def url(self) -> str:
        """The STS endpoint URL (moto serves every service at its root)."""
        return self._url

    def start(self) -> None:
        """Start moto's server thread."""
        self._thread.start()
        host, port = self._server.server_address[:2]
        self._url = f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"

    def stop(self) -> None:
        """Stop moto's server thread."""
        self._server.shutdown()
        self._thread.join()

    def caller_arn(self, access_key_id: str) -> str | None:
        """The ARN moto's GetCallerIdentity answers for a key moto issued; None for unknown keys."""
        account = get_account_id_from(access_key_id)
        assumed = sts_backends[account][_PARTITION].get_assumed_role_from_access_key(access_key_id)
        if assumed is not None:
            return str(assumed.arn)
        user = iam_backends[account][_PARTITION].get_user_from_access_key_id(access_key_id)
        return None if user is None else str(user.arn)

    def mint(self, session: ConsoleSession, duration: int) -> StsCredentials:
        """Fresh temporary credentials whose GetCallerIdentity ARN is ``session.arn``."""
        with self._lock:
            if session.kind == "assumed-role":
                return self._assume_role(session, duration)
            if session.kind == "user":
                return self._user_session(session)
            return self._root_session(session, duration)

    def _assume_role(self, session: ConsoleSession, duration: int) -> StsCredentials:
        sts = sts_backends[session.account_id][_PARTITION]
        role: Any = sts.assume_role(
            region_name=self._region,
            role_session_name=session.principal,
            role_arn=f"arn:aws:iam::{session.account_id}:role/{session.role}",
            policy=_ABSENT,
            duration=duration,
            external_id=_ABSENT,
        )
        return StsCredentials(role.access_key_id, role.secret_access_key, role.session_token)

    def _user_session(self, session: ConsoleSession) -> StsCredentials:
        iam = iam_backends[session.account_id][_PARTITION]
        user = iam.users.get(session.principal)
        if user is None:
            user = iam.create_user(self._region, session.principal, path=session.user_path)
        # Bypass IAM's two-keys-per-user limit: these stand for session credentials, of
        # which a user may hold any number. Registering the key in the account's key table
        # is what lets moto find the account from the access key id.
        key = user.create_access_key(prefix="ASIA")
        iam.access_keys[key.physical_resource_id] = key
        from moto.sts.utils import random_session_token

        return StsCredentials(key.access_key_id, key.secret_access_key, random_session_token())

    def _root_session(self, session: ConsoleSession, duration: int) -> StsCredentials:
        iam = iam_backends[session.account_id][_PARTITION]
        sts = sts_backends[session.account_id][_PARTITION]
        key = iam.create_temp_access_key()
        record = _RootSession(
            account_id=session.account_id,
            region_name=self._region,
            access_key=key,
            role_session_name="root",
            role_arn=f"arn:aws:iam::{session.account_id}:root",
            policy=_ABSENT,
            duration=duration,
            external_id=_ABSENT,
        )
        sts.assumed_roles.append(record)
        return StsCredentials(record.access_key_id, record.secret_access_key, record.session_token)
