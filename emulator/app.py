"""Command line of the emulator: parse flags, start moto's STS and the Sign-In server, wait."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from emulator.authority import Authority
from emulator.config import DEFAULT_SESSIONS, SessionsFileError, load_sessions, parse_sessions
from emulator.server import EmulatorServer
from emulator.sts import MotoSts

MAX_LATENCY_MS = 10_000
"""Far above any real round trip, and well below the server's 30-second idle timeout."""


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value < 65536:
        raise argparse.ArgumentTypeError("must be 0..65535")
    return value


def _latency_ms(text: str) -> int:
    value = int(text)
    if not 0 <= value <= MAX_LATENCY_MS:
        raise argparse.ArgumentTypeError(f"must be 0..{MAX_LATENCY_MS}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The emulator's flags."""
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description="A strict local stand-in for AWS Sign-In (aws login), with moto as STS.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=0, help="port to listen on; 0 picks a free one (default)")
    parser.add_argument("--region", default="us-east-1", help="region the emulator stands for (default us-east-1)")
    parser.add_argument(
        "--credential-ttl", type=_positive, default=900, help="seconds each credential lasts, at most 900 (default)"
    )
    parser.add_argument(
        "--session-duration",
        type=_positive,
        default=43200,
        help="seconds a sign-in can be refreshed for (default 43200 = 12 h)",
    )
    parser.add_argument(
        "--latency-ms",
        type=_latency_ms,
        default=0,
        help="hold every answer this many milliseconds before sending it, modelling a network (default 0)",
    )
    parser.add_argument("--sessions", type=Path, help="JSON file listing the console sessions to offer")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run until SIGINT or SIGTERM; print the base URL and the STS URL first."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="emulator: %(message)s",
    )
    if args.credential_ttl > 900:
        print("emulator: --credential-ttl must be at most 900 (the service's limit)", file=sys.stderr)
        return 2
    try:
        sessions = load_sessions(args.sessions) if args.sessions else parse_sessions(DEFAULT_SESSIONS)
    except SessionsFileError as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 2

    sts = MotoSts(args.host, args.region)
    sts.start()
    authority = Authority(
        sessions,
        sts,
        region=args.region,
        credential_ttl=args.credential_ttl,
        session_duration=args.session_duration,
    )
    try:
        server = EmulatorServer((args.host, args.port), authority, latency=args.latency_ms / 1000)
    except OSError as exc:
        sts.stop()
        print(f"emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    host, port = server.server_address[:2]
    authority.base_url = f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)

    thread = threading.Thread(target=server.serve_forever, name="signin-emulator", daemon=True)
    thread.start()
    print(authority.base_url, flush=True)
    print(sts.url, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        server.server_close()
        sts.stop()
    return 0
