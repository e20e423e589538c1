"""``desktop install`` / ``desktop uninstall``: the application menu, the icon, the metainfo and start at login."""

from __future__ import annotations

import argparse
from dataclasses import replace

from cli.context import Cli
from core.desktop import integration
from credproc.exitcodes import ExitCode


async def cmd_desktop(cli: Cli, args: argparse.Namespace) -> int:
    """Add this installation to the desktop (menu entry, icon, metainfo, optionally autostart), or remove it."""
    paths = integration.DesktopPaths.from_environment()
    if args.action == "install":
        for path in integration.install(paths, autostart=args.autostart):
            cli.say(f"wrote {path}")
        if args.autostart:
            await _remember_start_at_login(cli, True)
        elif integration.autostart_enabled(paths):
            cli.note("Start at login stays on (turn it off in the settings dialog or with `desktop uninstall`).")
        return ExitCode.OK
    removed = integration.uninstall(paths)
    for path in removed:
        cli.say(f"removed {path}")
    if not removed:
        cli.note("Nothing to remove: the desktop integration was not installed.")
    await _remember_start_at_login(cli, False)
    return ExitCode.OK


async def _remember_start_at_login(cli: Cli, enabled: bool) -> None:
    """Keep the setting the settings dialog shows in step with the autostart entry."""
    async with cli.service() as service:
        current = service.settings()
        if current.start_at_login != enabled:
            await service.update_settings(replace(current, start_at_login=enabled))
