"""``aws-login-tray agent``: the refresh engine in the foreground, without any GUI.

For machines without a tray (servers, a systemd user unit): it keeps every
session's credentials fresh exactly like the tray does, on a plain asyncio
loop, logs one line per event to stderr (never a secret) and stops cleanly on
SIGINT or SIGTERM, letting an in-flight refresh finish first.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

from core.domain.events import EventKind, SessionEvent
from core.domain.timefmt import utc_stamp
from core.sessions.service import SessionService

if TYPE_CHECKING:
    import argparse

    from cli.context import Cli


def describe(event: SessionEvent, now: datetime) -> str:
    """One log line for an event: time, kind, profile, principal and what changed."""
    stamp = utc_stamp(now)
    parts = [stamp, event.kind.value]
    session = event.session
    if session is not None:
        parts.append(f"{session.profile_name} ({session.identity.display_name}, {session.account_id})")
        if event.kind is EventKind.REFRESHED and session.credentials_expire_at is not None:
            parts.append(f"credentials until {session.credentials_expire_at.astimezone(UTC):%H:%M:%SZ}")
        if event.kind is EventKind.EXPIRING_SOON:
            parts.append(f"session ends {utc_stamp(session.session_ends_at)}")
    elif event.kind is EventKind.ACTIVE_CHANGED:
        parts.append("no active session")
    if event.detail:
        parts.append(f"- {event.detail}")
    return " ".join(parts)


async def run_agent(service: SessionService, stderr: TextIO, *, stop: asyncio.Event | None = None) -> int:
    """Run the engine until SIGINT/SIGTERM (or ``stop`` is set); returns the exit code."""
    stop_event = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop_event.set)
            installed.append(sig)

    def log_event(event: SessionEvent) -> None:
        stderr.write(describe(event, service.now()) + "\n")
        stderr.flush()

    unsubscribe = service.events.subscribe(log_event)
    try:
        await service.start()
        sessions = service.sessions()
        stderr.write(
            f"{describe_start(service.now(), len(sessions))}\n",
        )
        stderr.flush()
        await stop_event.wait()
        stderr.write("stopping: letting in-flight refreshes finish\n")
        stderr.flush()
    finally:
        try:
            await service.stop()
        finally:
            unsubscribe()
            for sig in installed:
                loop.remove_signal_handler(sig)
    stderr.write("stopped\n")
    stderr.flush()
    return 0


def describe_start(now: datetime, count: int) -> str:
    """The first line the agent logs."""
    stamp = utc_stamp(now)
    plural = "" if count == 1 else "s"
    return f"{stamp} agent started: refreshing {count} session{plural}; Ctrl-C or SIGTERM stops"


async def cmd_agent(cli: Cli, args: argparse.Namespace) -> int:
    """Run the refresh engine in the foreground."""
    async with cli.service() as service:
        return await run_agent(service, cli.stderr)
