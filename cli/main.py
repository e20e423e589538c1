"""The ``aws-login-tray`` command line: a thin shell over :class:`core.sessions.service.SessionService`.

Every command parses its arguments, opens the session manager (the same one
the tray uses; state lives on disk under locks, so the CLI works with or
without the tray running), does one thing and maps any failure to an exit
code and a sentence (:mod:`cli.errors`).

``credential-process`` is dispatched before anything else is imported; see
:mod:`credproc.fastpath`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from types import ModuleType
from typing import Any, TextIO

from cli.commands.roles import add_role_commands
from cli.commands.settings import _SETTING_KEYS, cmd_settings
from cli.context import Cli
from cli.errors import PROG, report_error
from core.domain.model import CredentialMode
from credproc import fastpath as credproc
from credproc.exitcodes import ExitCode

log = logging.getLogger(__name__)


class _Command:
    """A command's handler, imported when it runs: a command loads only what it uses (``list`` stays fast)."""

    def __init__(self, load: Callable[[], ModuleType], name: str) -> None:
        self.load, self.name = load, name

    def __call__(self, cli: Cli, args: argparse.Namespace) -> Any:
        return getattr(self.load(), self.name)(cli, args)


# One loader per command module, each a plain import statement: the import-linter contracts,
# the import-graph test and PyInstaller's analysis all see what a command needs.
def _sessions() -> ModuleType:
    from cli.commands import sessions

    return sessions


def _listing() -> ModuleType:
    from cli.commands import listing

    return listing


def _credentials() -> ModuleType:
    from cli.commands import credentials

    return credentials


def _agent() -> ModuleType:
    from cli.commands import agent

    return agent


def _awsconfig() -> ModuleType:
    from cli.commands import awsconfig

    return awsconfig


def _desktop() -> ModuleType:
    from cli.commands import desktop

    return desktop


def _refresh_for_credential_process(home: str, session_id: str) -> dict[str, object]:
    from cli.credential_process import refresh_for_credential_process

    return refresh_for_credential_process(home, session_id)


def _epilog() -> str:
    lines = ["exit codes:"]
    lines.extend(f"  {code.value:>3}  {code.meaning}" for code in ExitCode)
    lines.append("")
    lines.append("NAME is a profile name or a session id (see `list`); without it, the active session.")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="log to stderr")
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Keep up to five `aws login` console sessions fresh. Without a command, start the tray (`gui`).",
        epilog=_epilog(),
        formatter_class=formatter,
        parents=[common],
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name, help=help_text, description=help_text, epilog=_epilog(), formatter_class=formatter, parents=[common]
        )

    p = add("login", "Sign in through the browser (like `aws login`) and add a session.")
    p.add_argument("--profile", help="the profile to write (default: derived from account and role)")
    p.add_argument("--region", help="the AWS Region (asked the first time when none is configured)")
    p.add_argument("--remote", action="store_true", help="no browser here: print a URL, read the pasted code")
    p.add_argument("--mode", choices=[m.value for m in CredentialMode], help="how the profile hands out credentials")
    p.set_defaults(handler=_Command(_sessions, "cmd_login"))

    p = add("list", "Show every session: profile, account, principal, region, state, time left.")
    p.add_argument("--json", action="store_true", help="machine-readable output for scripts")
    p.set_defaults(handler=_Command(_listing, "cmd_list"))

    p = add("use", "Point the active profile at a session, or at a role profile (see `role list`).")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(handler=_Command(_sessions, "cmd_use"))

    p = add("refresh", "Refresh a session now (every live session without NAME).")
    p.add_argument("name", metavar="NAME", nargs="?")
    p.set_defaults(handler=_Command(_sessions, "cmd_refresh"))

    p = add("logout", "Sign a session out: forget its secrets, credentials and profile.")
    p.add_argument("name", metavar="NAME", nargs="?")
    p.add_argument("--all", action="store_true", help="every session")
    p.set_defaults(handler=_Command(_sessions, "cmd_logout"))

    p = add("credential-process", "Print a session's credentials as credential_process JSON (used by SDKs).")
    p.add_argument("--session", required=True, metavar="ID")
    p.add_argument("--home", metavar="DIR", help=argparse.SUPPRESS)

    p = add("env", "Print `export` lines with a session's or a role profile's credentials (they expire: see stderr).")
    p.add_argument("name", metavar="NAME", nargs="?")
    p.set_defaults(handler=_Command(_credentials, "cmd_env"))

    p = add("exec", "Run CMD with a session's or a role profile's credentials and Region in its environment.")
    p.add_argument("name", metavar="NAME")
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD ...")
    p.set_defaults(handler=_Command(_credentials, "cmd_exec"))

    _add_config_commands(add)

    p = add("agent", "Refresh every session in the foreground, without the tray (for a systemd user unit).")
    p.set_defaults(handler=_Command(_agent, "cmd_agent"))

    add_role_commands(add)
    _add_desktop_commands(add)

    p = add("settings", "Show the settings, or show/set one: settings [KEY [VALUE]].")
    p.add_argument("key", metavar="KEY", nargs="?", help=", ".join(_SETTING_KEYS))
    p.add_argument("value", metavar="VALUE", nargs="?")
    p.set_defaults(handler=cmd_settings)
    return parser


def _add_config_commands(add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """The AWS config and what ``aws login`` left: ``doctor``, ``import``, ``undo-config``."""
    p = add("doctor", "Check the AWS config, token cache and keyring; --fix repairs what it can.")
    p.add_argument("--fix", nargs="*", metavar="PROFILE", help="repair (only these profiles, if named)")
    p.set_defaults(handler=_Command(_awsconfig, "cmd_doctor"))

    p = add("import", "Adopt the sessions `aws login` left in ~/.aws/login/cache.")
    p.set_defaults(handler=_Command(_awsconfig, "cmd_import"))

    p = add("undo-config", "Undo aws-login-tray's last change to ~/.aws/config (restores the copy kept before it).")
    p.set_defaults(handler=_Command(_awsconfig, "cmd_undo_config"))


def _add_desktop_commands(add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """The tray itself (``gui``) and its desktop integration (``desktop``)."""
    p = add("gui", "Start the tray app (the default when no command is given).")
    p.add_argument("--demo", action="store_true", help="run against a local AWS Sign-In emulator in a temp dir")
    p = add("desktop", "Add this installation to the desktop's application menu (and autostart), or remove it.")
    p.add_argument("action", choices=["install", "uninstall"])
    p.add_argument("--autostart", action="store_true", help="also start the tray at login (install only)")
    p.set_defaults(handler=_Command(_desktop, "cmd_desktop"))


class _VersionAction(argparse.Action):
    """``--version``, looked up only when asked for: importlib.metadata costs every other command ~15 ms."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **_: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        sys.stdout.write(f"{parser.prog} {_version()}\n")
        parser.exit()


def _version() -> str:
    try:
        from importlib.metadata import version

        return version(PROG)
    except Exception:  # not installed (running from a checkout)
        return "unknown"


def _configure_logging(debug: bool, stderr: TextIO) -> None:
    if debug:
        from core.domain.logs import configure_logging

        configure_logging(debug=True, stream=stderr)
        logging.getLogger("filelock").setLevel(logging.INFO)
        logging.getLogger("asyncio").setLevel(logging.INFO)
    else:
        # Logs are off unless --debug: the terminal shows the user's messages only.
        root = logging.getLogger()
        root.addHandler(logging.NullHandler())
        root.setLevel(logging.CRITICAL + 1)


def main(argv: Sequence[str] | None = None, *, cli: Cli | None = None) -> int:
    """Run one command; returns the process exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "credential-process" and "--debug" not in args_list:
        return credproc.main(args_list[1:], slow_path=_refresh_for_credential_process)
    context = cli or Cli()
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 for --help
        return int(exc.code) if isinstance(exc.code, int) else ExitCode.USAGE
    _configure_logging(bool(getattr(args, "debug", False)), context.stderr)
    if args.command == "credential-process":
        forwarded = ["--session", args.session] + (["--home", args.home] if args.home else [])
        return credproc.main(forwarded, slow_path=_refresh_for_credential_process)
    handler: Callable[[Cli, argparse.Namespace], Any] = args.handler
    try:
        outcome = handler(context, args)
        if isinstance(outcome, Coroutine):
            import asyncio

            outcome = asyncio.run(outcome)
        return int(outcome)
    except (Exception, KeyboardInterrupt) as exc:
        return report_error(exc, context.stderr)
