"""The local cloud's command line.

python -m localcloud demo  --stack dev --orders 20    a mix of orders, a summary, exit 1 if anything is off
python -m localcloud serve --stack dev --port 8080    the API on http://127.0.0.1:8080 with a live trace, and the
                                                      WebSocket API on ws://127.0.0.1:8081 (--websocket-port)
python -m localcloud bench --orders 500               the local cloud's figures for ``make bench``
python -m localcloud bench --scale 100,500,2000       the same, one fresh cloud per size (CPU per order stays flat)
python -m localcloud bench --cold                     boot by evaluating the program, not by replaying its recorded
                                                      deployment (localcloud/deploy_cache.py)
python -m localcloud bench --calls                    also every principal's AWS calls per order, by operation

``--faults FILE`` (serve, demo, bench) applies a fault set (see localcloud/faults.py); ``demo --chaos`` runs
the demo under the default chaos mix (localcloud/chaos.py) and also checks the shop's invariants.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from localcloud.bench import bench, parse_sizes, scale
from localcloud.chaos import DEFAULT_CHAOS, load_fault_file
from localcloud.cloud import LocalCloud
from localcloud.demo import demo
from localcloud.fault_model import FaultSetError
from localcloud.server import make_server
from localcloud.shop import CLIENT
from localcloud.trace import Trace


def serve(
    stack: str, port: int, console: Console, faults: dict[str, Any] | None = None, websocket_port: int = 8081
) -> int:
    console.print(f"[bold]eventshop local cloud[/bold]: deploying stack [cyan]{stack}[/cyan] into moto ...")
    with LocalCloud.boot(stack, trace=Trace(console)) as cloud:
        if faults is not None:
            cloud.set_faults(faults)
        server = make_server(cloud, port=port)
        host, bound = server.server_address[:2]
        console.print(f"[bold green]serving[/bold green] http://{host!s}:{bound}  (Ctrl-C to stop)")
        websocket = cloud.serve_websocket(port=websocket_port)
        console.print(f"[bold green]live order status[/bold green] {websocket}?token=<ID token>")
        console.print(f"  storefront: {cloud.endpoints['storefront']}  (sign in with a user from POST /_local/users)")
        console.print(
            "  GET /products   POST /orders   GET /orders   GET /orders/{orderId}   POST /carts/{cartId}/items\n"
            f"  every route needs x-api-key: {cloud.api.client_keys.get(CLIENT, '(none)')}  (the {CLIENT}'s key)\n"
            "  every route but GET /products needs Authorization: <idToken>; get one with\n"
            f'    curl -s -X POST http://{host!s}:{bound}/_local/users -d \'{{"email": "ada@example.com"}}\'\n'
            '  POST /_local/clock/advance {"seconds": N}   GET /_local/outbox   GET /_local/dlq   '
            "GET /_local/trace?orderId=...\n"
            "  POST|GET|DELETE /_local/faults   GET /_local/alarms"
        )
        thread = threading.Thread(target=server.serve_forever, name="localcloud-http", daemon=True)
        thread.start()
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            console.print("stopping ...")
        finally:
            server.shutdown()
            server.server_close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud", description="eventshop's in-process local cloud")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="place a mix of orders and wait until every one settles")
    demo_parser.add_argument("--stack", default="dev")
    demo_parser.add_argument("--orders", type=int, default=20)
    demo_parser.add_argument("--timeout", type=float, default=120.0, help="seconds for every order to settle")
    serve_parser = commands.add_parser("serve", help="serve the API on 127.0.0.1 with a live trace")
    serve_parser.add_argument("--stack", default="dev")
    serve_parser.add_argument("--port", type=int, default=8080)
    serve_parser.add_argument("--websocket-port", type=int, default=8081, help="the WebSocket API's port")
    bench_parser = commands.add_parser("bench", help="orders end to end: orders/s, time to settle, peak memory")
    bench_parser.add_argument("--stack", default="dev")
    bench_parser.add_argument("--orders", type=int, default=500)
    bench_parser.add_argument("--timeout", type=float, default=300.0)
    bench_parser.add_argument("--scale", type=_sizes, help="order counts, e.g. 100,500,2000: one row per size")
    bench_parser.add_argument(
        "--cold", action="store_true", help="evaluate the program even if its recorded deployment could be replayed"
    )
    bench_parser.add_argument(
        "--record", action="store_true", help="add the figures to make bench's goals table (build/bench/)"
    )
    bench_parser.add_argument(
        "--calls", action="store_true", help="also print every principal's AWS calls per order, by operation"
    )
    demo_parser.add_argument("--chaos", action="store_true", help="run under the default fault mix")
    for command in (demo_parser, serve_parser, bench_parser):
        command.add_argument("--faults", metavar="FILE", help='a fault set: {"seed": N, "faults": [...]}')
    args = parser.parse_args(argv)
    console = Console()
    try:
        faults = fault_set(args)
        if args.command == "demo":
            return demo(args.stack, args.orders, console, args.timeout, faults)
        if args.command == "serve":
            return serve(args.stack, args.port, console, faults, args.websocket_port)
        if args.scale:
            timeout = max(args.timeout, 1200.0)
            return scale(args.stack, args.scale, console, timeout, faults, args.cold, args.record)
        return bench(args.stack, args.orders, console, args.timeout, faults, args.cold, args.record, args.calls)
    except FaultSetError as error:
        console.print("[red]invalid fault set:[/red]")
        for problem in error.problems:
            console.print(f"[red]- {problem}[/red]", highlight=False, soft_wrap=True)
        return 2


def fault_set(args: argparse.Namespace) -> dict[str, Any] | None:
    """The fault set the command line asks for (``--faults FILE``, or ``--chaos``), validated."""
    if getattr(args, "chaos", False) and args.faults:
        raise FaultSetError(["--chaos and --faults cannot be combined: put the mix you want in the file"])
    if args.faults:
        return load_fault_file(args.faults)
    return DEFAULT_CHAOS if getattr(args, "chaos", False) else None


def _sizes(text: str) -> list[int]:
    try:
        return parse_sizes(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


if __name__ == "__main__":
    sys.exit(main())
