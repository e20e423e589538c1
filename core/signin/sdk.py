"""The botocore session that every AWS client of the app is made from.

Each botocore session loads and keeps its own copy of the endpoint data,
partitions and service models: about 9 MiB resident apiece. The sign-in
client, its STS identity check and role assumption each used to make one,
so a tray that had signed in once carried three copies all day. Now they
share the one made for the configuration in force: the config and
credentials files and the profile that the environment names (botocore
reads those files once per session, while it reads the environment afresh
for every client). When those change (in a running tray they do not; in
the tests they change with every test), the next client gets a new session
and the old one goes with the last of its clients.

botocore sessions are not thread-safe, the clients made from them are:
clients are created under a lock, and their calls need none.
"""

from __future__ import annotations

import os
import threading
from typing import Any

_CONFIG_SOURCES = ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")
_lock = threading.Lock()


class _Shared:
    """The configuration sources in force and the session made for them."""

    sources: tuple[str | None, ...] | None = None
    session: Any = None


_shared = _Shared()


def create_client(service_name: str, **kwargs: Any) -> Any:
    """A botocore client for ``service_name`` (blocking: the first one loads the SDK's data).

    STS clients always use the regional endpoint (``sts_regional_endpoints``
    is forced to ``regional`` whatever the environment or config file says);
    ``AWS_ENDPOINT_URL_<SERVICE>`` still wins, as for every SDK.
    """
    with _lock:
        return _session_for(tuple(os.environ.get(name) for name in _CONFIG_SOURCES)).client(service_name, **kwargs)


def _session_for(sources: tuple[str | None, ...]) -> Any:
    if _shared.session is None or _shared.sources != sources:
        import boto3
        import botocore.session

        core_session = botocore.session.get_session()
        core_session.set_config_variable("sts_regional_endpoints", "regional")
        _shared.sources, _shared.session = sources, boto3.session.Session(botocore_session=core_session)
    return _shared.session
