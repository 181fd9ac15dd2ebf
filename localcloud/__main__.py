"""The local cloud's command line.

python -m localcloud demo  --stack dev --orders 20    a mix of orders, a summary, exit 1 if anything is off
python -m localcloud serve --stack dev --port 8080    the API on http://127.0.0.1:8080 with a live trace
python -m localcloud bench --orders 500               the local cloud's figures for ``make bench``
python -m localcloud bench --scale 100,500,2000       the same, one fresh cloud per size (CPU per order stays flat)
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence

from rich.console import Console

from localcloud.bench import bench, parse_sizes, scale
from localcloud.cloud import LocalCloud
from localcloud.demo import demo
from localcloud.server import make_server
from localcloud.trace import Trace


def serve(stack: str, port: int, console: Console) -> int:
    console.print(f"[bold]eventshop local cloud[/bold]: deploying stack [cyan]{stack}[/cyan] into moto ...")
    with LocalCloud.boot(stack, trace=Trace(console)) as cloud:
        server = make_server(cloud, port=port)
        host, bound = server.server_address[:2]
        console.print(f"[bold green]serving[/bold green] http://{host!s}:{bound}  (Ctrl-C to stop)")
        console.print(
            "  GET /products   POST /orders   GET /orders/{orderId}   POST /carts/{cartId}/items\n"
            '  POST /_local/clock/advance {"seconds": N}   GET /_local/outbox   GET /_local/dlq   '
            "GET /_local/trace?orderId=..."
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
    bench_parser = commands.add_parser("bench", help="orders end to end: orders/s, time to settle, peak memory")
    bench_parser.add_argument("--stack", default="dev")
    bench_parser.add_argument("--orders", type=int, default=500)
    bench_parser.add_argument("--timeout", type=float, default=300.0)
    bench_parser.add_argument("--scale", type=_sizes, help="order counts, e.g. 100,500,2000: one row per size")
    args = parser.parse_args(argv)
    console = Console()
    if args.command == "demo":
        return demo(args.stack, args.orders, console, args.timeout)
    if args.command == "serve":
        return serve(args.stack, args.port, console)
    if args.scale:
        return scale(args.stack, args.scale, console, max(args.timeout, 1200.0))
    return bench(args.stack, args.orders, console, args.timeout)


def _sizes(text: str) -> list[int]:
    try:
        return parse_sizes(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


if __name__ == "__main__":
    sys.exit(main())
