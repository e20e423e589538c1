"""AssumeRole as AWS decides it: the role must exist and its trust policy must let the caller in.

moto's ``AssumeRole`` hands out credentials for any role ARN, existing or not, to any
caller. The emulator puts a gate in front of moto's server that refuses what AWS refuses,
before moto sees the request:

* the role must be known (:meth:`TrustRules.put`, the control API, or the defaults);
* the caller (found from the request's access key id, as moto's ``GetCallerIdentity``
  finds it) must be matched by an ``Allow`` statement of the role's trust policy, and by
  no ``Deny``: principals ``"*"``, an account id, ``arn:aws:iam::ACCT:root`` (the whole
  account), ``arn:aws:iam::ACCT:role/NAME`` (any session of that role),
  ``arn:aws:iam::ACCT:user/NAME`` or an exact ``arn:aws:sts::…:assumed-role/…`` ARN;
* a statement's ``Condition`` may only be ``StringEquals`` on ``sts:ExternalId``; the
  request's ``ExternalId`` must then be that exact value;
* the root user can never assume a role;
* ``DurationSeconds`` is 900 .. the role's ``MaxSessionDuration``, and at most 3600 when
  the caller is itself an assumed role (role chaining).

Refusals carry AWS's own words: ``AccessDenied`` (HTTP 403) with "User: ARN is not
authorized to perform: sts:AssumeRole on resource: ROLE" whether the trust, the external
id or the role itself is missing (AWS does not say which), and ``ValidationError`` (400)
for durations. The caller's own IAM policies are not modelled: the trust policy is the
whole rule. Request signatures are not checked (moto does not check them either).
"""

from __future__ import annotations

import io
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

_ROLE_ARN = re.compile(r"^arn:aws:iam::(\d{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})$")
_CALLER_ROLE = re.compile(r"^arn:aws:sts::(\d{12}):assumed-role/([\w+=,.@-]{1,64})/[\w+=,.@-]{2,64}$")
_CALLER_USER = re.compile(r"^arn:aws:iam::(\d{12}):user/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})$")
_CALLER_ROOT = re.compile(r"^arn:aws:iam::(\d{12}):root$")
_ACCOUNT = re.compile(r"^\d{12}$")
_ACCESS_KEY = re.compile(r"Credential=([A-Z0-9]{16,128})/")
_ACTIONS = frozenset({"sts:AssumeRole", "sts:*", "*"})
MIN_DURATION = 900
CHAINED_MAX_DURATION = 3600
MAX_BODY = 1 << 20


class TrustPolicyError(ValueError):
    """A trust policy the emulator cannot judge strictly (the control API answers 400)."""


@dataclass(frozen=True)
class RoleTrust:
    """A role the emulator's STS knows: its ARN, trust policy and longest session."""

    arn: str
    policy: dict[str, Any]
    max_session_duration: int = 3600

    def public(self) -> dict[str, Any]:
        """The role as the control API shows it."""
        return {"arn": self.arn, "policy": self.policy, "max_session_duration": self.max_session_duration}


@dataclass(frozen=True)
class Refusal:
    """Why AssumeRole is refused, in AWS's words."""

    status: int
    code: str
    message: str


def trust_policy(principals: Iterable[str], external_id: str | None = None) -> dict[str, Any]:
    """A one-statement trust policy allowing ``principals`` (and requiring ``external_id`` if given)."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": list(principals)},
        "Action": "sts:AssumeRole",
    }
    if external_id is not None:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


DEFAULT_ROLES = (
    RoleTrust("arn:aws:iam::444455556666:role/Deploy", trust_policy(["arn:aws:iam::111122223333:root"])),
    RoleTrust(
        "arn:aws:iam::777788889999:role/Audit",
        trust_policy(["111122223333"], external_id="audit-7777"),
    ),
    RoleTrust("arn:aws:iam::111122223333:role/BuildReader", trust_policy(["arn:aws:iam::444455556666:role/Developer"])),
)
"""Roles known at start-up (and after a reset); see the README's table."""


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _check_statement(statement: Any) -> None:
    if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
        raise TrustPolicyError("every statement needs Effect Allow or Deny")
    principal = statement.get("Principal")
    if principal != "*" and not (isinstance(principal, dict) and set(principal) == {"AWS"}):
        raise TrustPolicyError('Principal must be "*" or {"AWS": ...} (no Service or Federated principals)')
    names = ["*"] if principal == "*" else _as_list(principal["AWS"])
    for name in names:
        if not isinstance(name, str) or not (
            name == "*"
            or _ACCOUNT.match(name)
            or _CALLER_ROOT.match(name)
            or _ROLE_ARN.match(name)
            or _CALLER_USER.match(name)
            or _CALLER_ROLE.match(name)
        ):
            raise TrustPolicyError(f"unsupported principal {name!r}")
    if not all(isinstance(a, str) for a in _as_list(statement.get("Action"))):
        raise TrustPolicyError("Action must be a string or a list of strings")
    condition = statement.get("Condition")
    if condition is not None and (
        not isinstance(condition, dict)
        or set(condition) != {"StringEquals"}
        or not isinstance(condition["StringEquals"], dict)
        or set(condition["StringEquals"]) != {"sts:ExternalId"}
        or not isinstance(condition["StringEquals"]["sts:ExternalId"], str)
    ):
        raise TrustPolicyError('the only Condition judged is {"StringEquals": {"sts:ExternalId": "..."}}')


def check_role(arn: Any, policy: Any, max_session_duration: Any = 3600) -> RoleTrust:
    """A validated :class:`RoleTrust`.

    Raises:
        TrustPolicyError: a bad ARN, duration or policy (nothing is judged leniently).
    """
    if not isinstance(arn, str) or not _ROLE_ARN.match(arn):
        raise TrustPolicyError("arn must be arn:aws:iam::<12 digits>:role/<name>")
    if not isinstance(max_session_duration, int) or not 3600 <= max_session_duration <= 43200:
        raise TrustPolicyError("max_session_duration must be 3600..43200 seconds")
    if not isinstance(policy, dict) or not isinstance(policy.get("Statement"), list) or not policy["Statement"]:
        raise TrustPolicyError("policy must be a trust policy document with a Statement list")
    for statement in policy["Statement"]:
        _check_statement(statement)
    return RoleTrust(arn, policy, max_session_duration)


def _principal_matches(name: str, caller: str) -> bool:
    if name == "*":
        return True
    caller_account = caller.split(":")[4]
    if _ACCOUNT.match(name):
        return name == caller_account
    if root := _CALLER_ROOT.match(name):
        return root.group(1) == caller_account
    if role := _ROLE_ARN.match(name):
        session = _CALLER_ROLE.match(caller)
        return session is not None and session.group(1) == role.group(1) and session.group(2) == role.group(2)
    return name == caller


def _statement_matches(statement: dict[str, Any], caller: str, external_id: str | None) -> bool:
    if not any(action in _ACTIONS for action in _as_list(statement.get("Action"))):
        return False
    principal = statement["Principal"]
    names = ["*"] if principal == "*" else _as_list(principal["AWS"])
    if not any(_principal_matches(name, caller) for name in names):
        return False
    condition = statement.get("Condition")
    if condition is not None:
        return bool(external_id == condition["StringEquals"]["sts:ExternalId"])
    return True


def _not_authorized(caller: str, role_arn: str) -> Refusal:
    return Refusal(
        403, "AccessDenied", f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    )


def decide(
    role: RoleTrust | None, caller: str, role_arn: str, external_id: str | None, duration: int
) -> Refusal | None:
    """None when AWS would let ``caller`` assume ``role_arn``; else the refusal."""
    if _CALLER_ROOT.match(caller):
        return Refusal(403, "AccessDenied", "Roles may not be assumed by root accounts.")
    if role is None:
        return _not_authorized(caller, role_arn)
    statements = role.policy["Statement"]
    if any(s["Effect"] == "Deny" and _statement_matches(s, caller, external_id) for s in statements):
        return _not_authorized(caller, role_arn)
    if not any(s["Effect"] == "Allow" and _statement_matches(s, caller, external_id) for s in statements):
        return _not_authorized(caller, role_arn)
    if duration < MIN_DURATION:
        return Refusal(
            400,
            "ValidationError",
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy "
            f"constraint: Member must have value greater than or equal to {MIN_DURATION}",
        )
    if _CALLER_ROLE.match(caller) and duration > CHAINED_MAX_DURATION:
        return Refusal(
            400,
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        )
    if duration > role.max_session_duration:
        return Refusal(
            400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )
    return None


class TrustRules:
    """The roles the emulator's STS knows, shared by the gate and the control API."""

    def __init__(self, defaults: Iterable[RoleTrust] = DEFAULT_ROLES) -> None:
        self._defaults = tuple(defaults)
        self._lock = threading.Lock()
        self._roles: dict[str, RoleTrust] = {}
        self.reset()

    def reset(self) -> None:
        """Back to the default roles."""
        with self._lock:
            self._roles = {role.arn: role for role in self._defaults}

    def put(self, role: RoleTrust) -> None:
        """Create or replace a role."""
        with self._lock:
            self._roles[role.arn] = role

    def get(self, arn: str) -> RoleTrust | None:
        """The role with this ARN, if known."""
        with self._lock:
            return self._roles.get(arn)

    def report(self) -> list[dict[str, Any]]:
        """Every known role (``GET /_emulator/roles``)."""
        with self._lock:
            return [role.public() for role in self._roles.values()]


def _error_body(refusal: Refusal) -> bytes:
    return (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>Sender</Type><Code>{refusal.code}</Code><Message>{escape(refusal.message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()


_INVALID_TOKEN = Refusal(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
_STATUS_TEXT = {400: "400 Bad Request", 403: "403 Forbidden"}

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class AssumeRoleGate:
    """WSGI middleware in front of moto's server: judges every ``AssumeRole`` first.

    Args:
        app: moto's WSGI application.
        rules: the known roles.
        identify: the caller ARN of an access key id moto issued, or None for unknown keys.
    """

    def __init__(self, app: WsgiApp, rules: TrustRules, identify: Callable[[str], str | None]) -> None:
        self._app = app
        self._rules = rules
        self._identify = identify

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        params = parse_qs(environ.get("QUERY_STRING", ""))
        if environ.get("REQUEST_METHOD") == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            body = environ["wsgi.input"].read(min(max(length, 0), MAX_BODY))
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            if "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
                params = {**params, **parse_qs(body.decode("utf-8", "replace"))}
        if params.get("Action") != ["AssumeRole"]:
            return self._app(environ, start_response)
        refusal = self._judge(environ, params)
        if refusal is None:
            return self._app(environ, start_response)
        body = _error_body(refusal)
        start_response(
            _STATUS_TEXT[refusal.status],
            [("Content-Type", "text/xml"), ("Content-Length", str(len(body))), ("x-amzn-RequestId", str(uuid.uuid4()))],
        )
        return [body]

    def _judge(self, environ: dict[str, Any], params: dict[str, list[str]]) -> Refusal | None:
        key = _ACCESS_KEY.search(environ.get("HTTP_AUTHORIZATION", ""))
        caller = self._identify(key.group(1)) if key else None
        if caller is None:
            return _INVALID_TOKEN
        role_arn = params.get("RoleArn", [""])[0]
        external = params.get("ExternalId")
        try:
            duration = int(params.get("DurationSeconds", ["3600"])[0])
        except ValueError:
            return Refusal(400, "ValidationError", "DurationSeconds must be a number.")
        return decide(self._rules.get(role_arn), caller, role_arn, external[0] if external else None, duration)
