"""`minicloud bus watch|queues`: the RPC messages between the services, as they travel.

    minicloud bus watch [--topic compute] [--method build_and_run_instance] [--kind cast]
                        [--count N] [--timeout S] [--all] [-f json]
    minicloud bus queues [-f json]

`watch` prints one line per message, without changing its delivery (common/rpc/tap.py
names the columns). On the memory bus (the in-process default) the cloud keeps its last
messages and this command asks it for new ones through the control socket a few times a
second; `--all` first prints those it kept. On RabbitMQ (the processes and netns modes)
it turns on the broker's firehose for the cloud's vhost (`rabbitmqctl trace_on`), reads a
copy of every message from a queue of its own bound to `amq.rabbitmq.trace`, and turns
the firehose off when it ends.

`queues` is `rabbitmqctl list_queues name consumers messages` for the cloud's vhost, or
the same table for the memory bus: a queue per topic (shared round robin by its servers),
one per `topic.server`, one fanout queue per server, and the replies' queues on RabbitMQ.
"""

from __future__ import annotations

import json
import sys
import time
from urllib.parse import unquote, urlsplit

from minicloud import broker
from minicloud.control import NotRunning, ask

POLL = 0.25  # seconds between two questions to the memory bus
COLUMNS = ("time", "kind", "route", "method", "sender", "request", "bytes")


class BusError(Exception):
    """Said to the user as it is; exit status 1."""


def _vhost(url: str) -> str:
    path = urlsplit(url).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def _memory(config) -> bool:
    return config.transport_url.startswith("memory")


def wanted(message: dict, args) -> bool:
    return ((not args.topic or message.get("topic") == args.topic)
            and (not args.method or message.get("method") == args.method)
            and (not args.kind or message.get("kind") == args.kind))


def line(message: dict) -> str:
    """One message, in at most ~120 columns."""
    at = time.strftime("%H:%M:%S", time.localtime(message["time"]))
    millis = int(message["time"] % 1 * 1000)
    exchange = message["exchange"] or "(default)"
    route = _cut(f"{exchange}:{message['key']}", 30)
    request = message.get("request") or "-"
    return (f"{at}.{millis:03d}  {message['kind']:<6} {route:<30} "
            f"{_cut(message.get('method') or '-', 26):<26} "
            f"{_cut(message.get('sender') or '-', 21):<21} "
            f"{request[:12]:<12} {message['bytes']:>6}")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "~"


HEADER = (f"{'TIME':<12}  {'KIND':<6} {'EXCHANGE:ROUTING KEY':<30} {'METHOD':<26} "
          f"{'SENDER':<21} {'REQUEST':<12} {'BYTES':>6}")


class Printer:
    """Prints what `args` asks for; done when --count messages were shown."""

    def __init__(self, args):
        self.args, self.shown = args, 0
        if args.format != "json":
            print(HEADER, flush=True)

    def show(self, message: dict) -> None:
        if not wanted(message, self.args):
            return
        if self.args.format == "json":
            print(json.dumps(message), flush=True)
        else:
            print(line(message), flush=True)
        self.shown += 1

    @property
    def done(self) -> bool:
        return bool(self.args.count) and self.shown >= self.args.count


def _ask(config, request: dict) -> dict:
    try:
        answer = ask(config.home, request)
    except NotRunning:
        raise BusError("no cloud is running in this data directory (`minicloud up`)") from None
    if "error" in answer:
        raise BusError(answer["error"])
    return answer


def watch_memory(config, args, printer: Printer, deadline: float | None) -> None:
    first = _ask(config, {"op": "bus", "since": 0 if args.all else 1 << 62})
    since = first["last"]
    _watching(f"the memory bus of the cloud in {config.home}")
    for message in first["messages"] if args.all else ():
        printer.show(message)
    while not printer.done and (deadline is None or time.monotonic() < deadline):
        time.sleep(POLL)
        answer = _ask(config, {"op": "bus", "since": since})
        since = answer["last"]
        for message in answer["messages"]:
            printer.show(message)
            if printer.done:
                return


def watch_rabbitmq(config, args, printer: Printer, deadline: float | None) -> None:
    import pika

    from minicloud.common.rpc.amqp import connection_parameters
    from minicloud.common.rpc.tap import describe

    vhost = _vhost(config.transport_url)
    broker.firehose(vhost, True)
    try:
        connection = pika.BlockingConnection(connection_parameters(config.transport_url,
                                                                   "minicloud bus watch"))
        channel = connection.channel()
        queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        channel.queue_bind(queue, "amq.rabbitmq.trace", routing_key="publish.#")
        _watching(f"RabbitMQ vhost {vhost} (its firehose is on until this ends)")
        try:
            while not printer.done and (deadline is None or time.monotonic() < deadline):
                for method, props, body in channel.consume(queue, auto_ack=True,
                                                           inactivity_timeout=POLL):
                    if method is None:
                        break  # quiet for a moment: look at the clock
                    headers = props.headers or {}
                    keys = headers.get("routing_keys") or [""]
                    exchange = headers.get("exchange_name") or ""
                    if exchange.startswith("amq."):
                        continue
                    printer.show(describe(body, exchange, keys[0]))
                    if printer.done or (deadline is not None and time.monotonic() > deadline):
                        break
        finally:
            connection.close()
    except pika.exceptions.AMQPError as exc:
        raise BusError(f"could not read the firehose of vhost {vhost}: {exc!r}") from None
    finally:
        broker.firehose(vhost, False)


def _watching(what: str) -> None:
    """Said on stderr once the tap is in place: from here on no message is missed."""
    print(f"*** Watching {what}; Ctrl-C ends", file=sys.stderr, flush=True)


def cmd_bus(config, args) -> int:
    try:
        if args.bus_command == "queues":
            rows = (_ask(config, {"op": "queues"})["queues"] if _memory(config)
                    else broker.queues(_vhost(config.transport_url)))
            if args.format == "json":
                print(json.dumps(rows, indent=2))
            else:
                width = max([5] + [len(r["name"]) for r in rows])
                print(f"{'QUEUE':<{width}}  CONSUMERS  MESSAGES")
                for r in rows:
                    print(f"{r['name']:<{width}}  {r['consumers']:>9}  {r['messages']:>8}")
            return 0
        deadline = time.monotonic() + args.timeout if args.timeout else None
        printer = Printer(args)
        (watch_memory if _memory(config) else watch_rabbitmq)(config, args, printer, deadline)
        return 0
    except (BusError, broker.BrokerError) as exc:
        print(f"minicloud bus: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C ends a watch
        return 0


def add_parser(sub, func) -> None:
    bus = sub.add_parser("bus", help="the RPC messages between the services: watch, queues")
    buss = bus.add_subparsers(dest="bus_command", required=True)
    watch = buss.add_parser("watch", help="one line per message as it travels (Ctrl-C ends)")
    watch.add_argument("--topic", help="only this topic (compute, scheduler, conductor, ...)")
    watch.add_argument("--method", help="only this method (build_and_run_instance, ...)")
    watch.add_argument("--kind", choices=("call", "cast", "fanout", "reply"))
    watch.add_argument("--count", type=int, help="end after this many messages")
    watch.add_argument("--timeout", type=float, help="end after this many seconds")
    watch.add_argument("--all", action="store_true",
                       help="memory bus: first the messages it kept (its last 2000)")
    queues = buss.add_parser("queues", help="queues, their consumers and waiting messages")
    for p in (watch, queues):
        p.add_argument("-f", "--format", choices=("table", "json"), default="table")
    bus.set_defaults(func=func)
