"""Desktop notifications for what core announces.

:class:`Notifier` turns EXPIRING_SOON, RETRYING, NEEDS_SIGN_IN, ENDED and
ADDED events into notifications, never the same one twice (keyed by
session, kind, sign-in time and lead). Delivery goes to the freedesktop
notification service over D-Bus when one answers (with a "Sign in again"
button), otherwise to the tray icon's balloon.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QSystemTrayIcon

from core.domain.events import EventKind, SessionEvent
from core.domain.model import Session
from gui.actions import SessionActions
from gui.format import (
    format_clock,
    format_minutes,
    format_remaining,
    next_attempt_text,
    principal_label,
    sentence,
)

log = logging.getLogger(__name__)

SIGN_IN_AGAIN = "sign-in-again"
APP_NAME = "AWS Login Tray"


@dataclass(frozen=True)
class Notification:
    """One message for the desktop."""

    key: tuple[object, ...]
    title: str
    body: str
    session: Session | None = None
    action: tuple[str, str] | None = None
    """``(action key, button label)``."""
    critical: bool = False


ActionCallback = Callable[[Notification, str], None]


class NotificationBackend(Protocol):
    """Somewhere notifications can be shown."""

    def show(self, note: Notification, on_action: ActionCallback) -> None:
        """Display ``note``; call ``on_action(note, key)`` when the user picks an action."""
        ...


class TrayBalloonBackend:
    """``QSystemTrayIcon.showMessage``; clicking the balloon runs the note's action."""

    def __init__(self, tray: QSystemTrayIcon) -> None:
        self._tray = tray
        self._last: tuple[Notification, ActionCallback] | None = None
        tray.messageClicked.connect(self._clicked)

    def show(self, note: Notification, on_action: ActionCallback) -> None:
        self._last = (note, on_action)
        body = note.body
        if note.action is not None:
            body += f"\n\nClick here to {note.action[1].lower()}."
        icon = QSystemTrayIcon.MessageIcon.Warning if note.critical else QSystemTrayIcon.MessageIcon.Information
        self._tray.showMessage(note.title, body, icon, 15_000)

    def _clicked(self) -> None:
        if self._last is not None and self._last[0].action is not None:
            note, callback = self._last
            self._last = None
            callback(note, note.action[0] if note.action else "")


class FreedesktopBackend:
    """``org.freedesktop.Notifications`` over D-Bus (jeepney on the asyncio loop)."""

    def __init__(self, router: Any, icon_path: str = "") -> None:
        self._router = router
        self._icon = icon_path
        self._pending: dict[int, tuple[Notification, ActionCallback]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._listener: asyncio.Task[None] | None = None
        self.sent: list[tuple[int, Notification]] = []
        """``(server id, note)`` of every notification the server accepted."""

    @classmethod
    async def connect(cls, icon_path: str = "") -> FreedesktopBackend | None:
        """Open the session bus and check a notification server answers; None otherwise."""
        try:
            from jeepney import MatchRule, message_bus
            from jeepney.io.asyncio import Proxy, open_dbus_router
        except ImportError:
            return None
        router_cm = open_dbus_router(bus="SESSION")
        try:
            router = await asyncio.wait_for(router_cm.__aenter__(), 2)
            bus = Proxy(message_bus, router)
            (has_owner,) = await asyncio.wait_for(bus.NameHasOwner("org.freedesktop.Notifications"), 2)
            if not has_owner:
                (activatable,) = await asyncio.wait_for(bus.ListActivatableNames(), 2)
                if "org.freedesktop.Notifications" not in activatable:
                    await router_cm.__aexit__(None, None, None)
                    return None
            rule = MatchRule(type="signal", interface="org.freedesktop.Notifications", path=_PATH)
            await asyncio.wait_for(bus.AddMatch(rule), 2)
        except Exception as exc:  # no session bus, refused, timed out: use the tray balloon
            log.info("no freedesktop notification service: %s", type(exc).__name__)
            with contextlib.suppress(Exception):
                await router_cm.__aexit__(None, None, None)
            return None
        backend = cls(router, icon_path)
        backend._router_cm = router_cm
        backend._listener = asyncio.get_running_loop().create_task(backend._listen(rule))
        return backend

    async def _listen(self, rule: Any) -> None:
        with self._router.filter(rule) as queue:
            while True:
                message = await queue.get()
                member = message.header.fields.get(_MEMBER)
                if member == "ActionInvoked":
                    note_id, key = message.body
                    entry = self._pending.pop(int(note_id), None)
                    if entry is not None:
                        entry[1](entry[0], str(key))
                elif member == "NotificationClosed":
                    self._pending.pop(int(message.body[0]), None)

    def show(self, note: Notification, on_action: ActionCallback) -> None:
        task = asyncio.get_event_loop().create_task(self._send(note, on_action))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, note: Notification, on_action: ActionCallback) -> None:
        from jeepney import DBusAddress, new_method_call

        address = DBusAddress(
            _PATH, bus_name="org.freedesktop.Notifications", interface="org.freedesktop.Notifications"
        )
        actions: list[str] = []
        if note.action is not None:
            actions = ["default", note.action[1], note.action[0], note.action[1]]
        hints = {
            "urgency": ("y", 2 if note.critical else 1),
            "desktop-entry": ("s", "io.github.awslogintray.AwsLoginTray"),
        }
        message = new_method_call(
            address, "Notify", "susssasa{sv}i", (APP_NAME, 0, self._icon, note.title, note.body, actions, hints, -1)
        )
        try:
            reply = await asyncio.wait_for(self._router.send_and_get_reply(message), 5)
        except Exception:
            log.warning("could not send a desktop notification", exc_info=True)
            return
        if reply.body:
            self.sent.append((int(reply.body[0]), note))
        if note.action is not None and reply.body:
            self._pending[int(reply.body[0])] = (note, lambda n, key: on_action(n, n.action[0] if n.action else key))

    async def close(self) -> None:
        """Stop listening and close the bus connection."""
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        with contextlib.suppress(Exception):
            await self._router_cm.__aexit__(None, None, None)

    _router_cm: Any = None


_PATH = "/org/freedesktop/Notifications"
_MEMBER = 3  # jeepney HeaderFields.member


def _with_profile(note: Notification) -> str:
    profile = note.session.profile_name if note.session is not None else ""
    return note.title if profile in note.title else f"{profile}: {note.title}"


def summarize(notes: list[Notification]) -> Notification:
    """One notification standing for several that arrived together."""
    lines = [f"• {_with_profile(note)}" for note in notes]
    return Notification(
        ("summary", *(note.key for note in notes)),
        f"{len(notes)} AWS session updates",
        "\n".join(lines) + "\nOpen the switcher for details.",
        critical=any(note.critical for note in notes),
    )


class Notifier:
    """Decides which events become notifications (once each) and where they go.

    Notes that arrive within ``burst_ms`` of each other (a laptop waking up
    finds several sessions ended at once) are shown as one summary instead of
    a burst. With ``burst_ms=0`` every note is shown at once.
    """

    def __init__(self, actions: SessionActions, backend: NotificationBackend, *, burst_ms: int = 0) -> None:
        self._actions = actions
        self._service = actions.service
        self.backend = backend
        self._seen: set[tuple[object, ...]] = set()
        self._streak: dict[str, int] = {}
        self._pending: list[Notification] = []
        self._burst_ms = burst_ms
        self.shown: list[Notification] = []

    def on_event(self, event: SessionEvent) -> None:
        """Handle one core event."""
        session = event.session
        if session is not None and event.kind in (EventKind.REFRESHED, EventKind.ADDED):
            self._streak[session.id] = self._streak.get(session.id, 0) + 1
        note = self.build(event)
        if note is None or note.key in self._seen:
            return
        if session is not None and session.id in self._actions.inline_sessions:
            return  # the switcher that asked shows this failure inline: one channel per event
        self._seen.add(note.key)
        if self._burst_ms <= 0:
            self._deliver(note)
            return
        if not self._pending:
            QTimer.singleShot(self._burst_ms, self.flush)
        self._pending.append(note)

    def flush(self) -> None:
        """Show what is pending: the note itself, or one summary of several."""
        pending, self._pending = self._pending, []
        if len(pending) == 1:
            self._deliver(pending[0])
        elif pending:
            self._deliver(summarize(pending))

    def _deliver(self, note: Notification) -> None:
        self.shown.append(note)
        self.backend.show(note, self._action)

    def build(self, event: SessionEvent) -> Notification | None:
        """The notification for ``event``, or None when it warrants none."""
        s = event.session
        if s is None:
            return None
        who = f"{s.profile_name} ({s.account_id}, {principal_label(s)})"
        again = (SIGN_IN_AGAIN, "Sign in again")
        base: tuple[object, ...] = (s.id, event.kind.value, s.signed_in_at.isoformat())
        now = self._service.now()
        match event.kind:
            case EventKind.EXPIRING_SOON:
                lead = event.lead
                minutes = int(lead.total_seconds() // 60) if lead is not None else None
                left = format_minutes(s.session_remaining(now))
                return Notification(
                    (*base, minutes),
                    f"AWS session ends in {left}",
                    f"{who} reaches its session limit at {format_clock(s.session_ends_at)[11:16]}. "
                    "Sign in again to keep working without interruption.",
                    s,
                    again,
                )
            case EventKind.RETRYING:
                left = format_remaining(s.credentials_remaining(now))
                return Notification(
                    (*base, self._streak.get(s.id, 0)),
                    f"Cannot refresh {s.profile_name}",
                    f"{sentence(event.detail) or 'AWS did not answer.'} {next_attempt_text(s, now).capitalize()}; "
                    f"the current credentials of {who} "
                    f"stay valid for {left}.",
                    s,
                )
            case EventKind.NEEDS_SIGN_IN:
                return Notification(
                    base,
                    f"Sign in again: {s.profile_name}",
                    f"{who} can no longer be refreshed. {event.detail or ''}".strip(),
                    s,
                    again,
                    critical=True,
                )
            case EventKind.ENDED:
                return Notification(
                    base,
                    f"AWS session ended: {s.profile_name}",
                    f"{who} reached its session limit. Sign in again for new credentials.",
                    s,
                    again,
                    critical=True,
                )
            case EventKind.ADDED:
                return Notification(
                    base,
                    f"Signed in: {s.profile_name}",
                    f"{s.account_id} · {principal_label(s)} · {s.region}. Profile [{s.profile_name}] is ready.",
                    s,
                )
        return None

    def _action(self, note: Notification, key: str) -> None:
        if key in (SIGN_IN_AGAIN, "default") and note.action is not None and note.session is not None:
            self._actions.sign_in_again(note.session.id)
