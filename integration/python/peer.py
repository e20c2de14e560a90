#!/usr/bin/python3
"""A zpb wire peer built on a stack we did not write: Debian's pyzmq + protobuf, with message code that
protoc generates from the same example.proto.

Each subcommand mirrors one of the Rust prost + zmq example's programs, handles a bounded number of messages within a
deadline, prints one JSON summary line on stdout and exits non-zero on any mismatch or timeout. Servers
bind (``tcp://127.0.0.1:*`` by default, so the OS picks a free port) and first print a line
``{"event": "ready", "endpoint": ...}`` so a test knows where to connect.

    protoc --proto_path=packages/proto/proto --python_out=/tmp/gen packages/proto/proto/example.proto
    /usr/bin/python3 integration/python/peer.py --gen /tmp/gen rep --count 3 &
    /usr/bin/python3 integration/python/peer.py --gen /tmp/gen req --connect tcp://127.0.0.1:PORT --count 3

Exit codes: 0 all good, 1 a mismatch or timeout (see "problems" in the summary), 2 bad usage.
uint64 values are printed as decimal strings: JSON numbers lose precision above 2^53 in JavaScript.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from typing import Any, Callable

import zmq

EXIT_OK, EXIT_MISMATCH, EXIT_USAGE = 0, 1, 2
# Bounded problem list: a run with thousands of bad replies should still print one readable line.
MAX_PROBLEMS = 20

pb: Any = None  # the generated example_pb2 module, imported once --gen is known


def load_generated(gen_dir: str) -> Any:
    """Imports example_pb2 from the directory protoc wrote it to."""
    sys.path.insert(0, gen_dir)
    try:
        return importlib.import_module("example_pb2")
    except ImportError as error:
        sys.exit(f"peer.py: cannot import example_pb2 from {gen_dir!r} ({error}); run "
                 f"protoc --python_out={gen_dir} on packages/proto/proto/example.proto first")


# --- messages -------------------------------------------------------------------------------------

def ping(seq: int) -> bytes:
    return pb.Envelope(ping=pb.Ping(seq=seq)).SerializeToString()


def pong(seq: int) -> bytes:
    return pb.Envelope(pong=pb.Pong(seq=seq)).SerializeToString()


def error_reply(code: int, message: str, seq: int = 0) -> bytes:
    return pb.Envelope(error=pb.ErrorReply(code=code, message=message, seq=seq)).SerializeToString()


def describe(envelope: Any) -> dict[str, Any]:
    """An Envelope as JSON-safe data: {"case": ..., fields...}, seqs as decimal strings."""
    case = envelope.WhichOneof("payload")
    if case in ("ping", "pong"):
        return {"case": case, "seq": str(getattr(envelope, case).seq)}
    if case == "error":
        e = envelope.error
        return {"case": "error", "code": e.code, "codeName": code_name(e.code), "message": e.message,
                "seq": str(e.seq)}
    return {"case": None}


def code_name(code: int) -> str | None:
    try:
        return pb.ErrorReply.Code.Name(code)
    except ValueError:  # a code from a newer schema
        return None


def decode(data: bytes) -> Any:
    """Parses an Envelope; raises DecodeError (protobuf's) on bytes that are not one."""
    envelope = pb.Envelope()
    envelope.ParseFromString(data)
    return envelope


# --- bounded socket I/O ---------------------------------------------------------------------------

class Deadline:
    """One overall time budget for a run; every wait takes what is left of it."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def remaining_ms(self) -> int:
        return max(0, int((self.end - time.monotonic()) * 1000))


class TimedOut(Exception):
    pass


def recv(sock: zmq.Socket, deadline: Deadline) -> list[bytes]:
    if not sock.poll(deadline.remaining_ms(), zmq.POLLIN):
        raise TimedOut("receive")
    return sock.recv_multipart()


def send(sock: zmq.Socket, frames: list[bytes], deadline: Deadline) -> None:
    if not sock.poll(deadline.remaining_ms(), zmq.POLLOUT):
        raise TimedOut("send")
    sock.send_multipart(frames)


class Run:
    """Counts and problems of one run; becomes the JSON summary line."""

    def __init__(self, role: str) -> None:
        self.summary: dict[str, Any] = {"role": role, "ok": True, "sent": 0, "received": 0,
                                        "problems": [], "problemCount": 0}

    def problem(self, text: str) -> None:
        self.summary["ok"] = False
        problems = self.summary["problems"]
        if len(problems) < MAX_PROBLEMS:
            problems.append(text)
        self.summary["problemCount"] += 1

    def finish(self) -> int:
        print(json.dumps(self.summary), flush=True)
        return EXIT_OK if self.summary["ok"] else EXIT_MISMATCH


def open_socket(ctx: zmq.Context, kind: int, args: argparse.Namespace) -> zmq.Socket:
    """A socket with linger 0 (a dead peer must never hold the process), bound or connected per args."""
    sock = ctx.socket(kind)
    sock.setsockopt(zmq.LINGER, 0)
    if args.bind:
        sock.bind(args.bind)
        endpoint = sock.getsockopt_string(zmq.LAST_ENDPOINT)
        print(json.dumps({"event": "ready", "endpoint": endpoint}), flush=True)
    else:
        sock.connect(args.connect)
    return sock


def request_bytes(args: argparse.Namespace, seq: int) -> bytes:
    return bytes.fromhex(args.garbage) if args.garbage is not None else ping(seq)


def check_reply(run: Run, data: bytes, args: argparse.Namespace) -> int | None:
    """Checks one reply is a Pong (or, for --garbage, an ErrorReply). Returns the Pong's seq."""
    try:
        envelope = decode(data)
    except Exception as error:  # protobuf's DecodeError; any failure here is a wire mismatch
        run.problem(f"undecodable reply {data.hex()}: {error}")
        return None
    got = describe(envelope)
    if args.garbage is not None:
        replies = run.summary.setdefault("errorReplies", [])
        if len(replies) < MAX_PROBLEMS:
            replies.append(got)
        if got["case"] != "error":
            run.problem(f"garbage request answered with {json.dumps(got)}, expected an ErrorReply")
        return None
    if got["case"] != "pong":
        run.problem(f"expected pong, got {json.dumps(got)}")
        return None
    return int(got["seq"])


# --- clients --------------------------------------------------------------------------------------

def run_req(ctx: zmq.Context, args: argparse.Namespace) -> int:
    """The Rust example's REQ client: send Envelope{ping{seq}}, wait for Envelope{pong{seq}}, N times in lockstep."""
    run, deadline = Run("req"), Deadline(args.timeout)
    sock = open_socket(ctx, zmq.REQ, args)
    try:
        for seq in range(args.start_seq, args.start_seq + args.count):
            send(sock, [request_bytes(args, seq)], deadline)
            run.summary["sent"] += 1
            frames = recv(sock, deadline)
            run.summary["received"] += 1
            if len(frames) != 1:
                run.problem(f"seq {seq}: expected 1 reply frame, got {len(frames)}")
                continue
            got = check_reply(run, frames[0], args)
            if got is not None and got != seq:
                run.problem(f"sent seq {seq}, pong carried {got}")
    except TimedOut as what:
        run.problem(f"timed out on {what} after {run.summary['received']} replies")
    finally:
        sock.close()
    return run.finish()


def run_dealer(ctx: zmq.Context, args: argparse.Namespace) -> int:
    """The Rust example's DEALER client: one frame per request (or ["", payload] with --delimiter), up to
    --window requests in flight; replies may arrive in any order, each seq must come back exactly once."""
    run, deadline = Run("dealer"), Deadline(args.timeout)
    run.summary["delimiter"] = args.delimiter
    sock = open_socket(ctx, zmq.DEALER, args)
    prefix = [b""] if args.delimiter else []
    seqs = range(args.start_seq, args.start_seq + args.count)
    outstanding: set[int] = set()
    next_index = 0
    try:
        while next_index < len(seqs) or outstanding:
            while next_index < len(seqs) and len(outstanding) < args.window:
                seq = seqs[next_index]
                send(sock, prefix + [request_bytes(args, seq)], deadline)
                outstanding.add(seq)
                next_index += 1
                run.summary["sent"] += 1
            frames = recv(sock, deadline)
            run.summary["received"] += 1
            if frames[:-1] != prefix:
                run.problem(f"reply shape {[f.hex() for f in frames[:-1]]} + payload, expected {len(prefix)} "
                            f"empty frame(s) before the payload")
            got = check_reply(run, frames[-1], args)
            if args.garbage is not None:
                outstanding.pop()  # error replies need not carry a seq; count them off in any order
            elif got is None:
                outstanding.pop()
            elif got in outstanding:
                outstanding.remove(got)
            else:
                run.problem(f"pong seq {got} was not asked for, or came twice")
    except TimedOut as what:
        run.problem(f"timed out on {what} with {len(outstanding)} replies outstanding")
    finally:
        sock.close()
    return run.finish()


def run_sub(ctx: zmq.Context, args: argparse.Namespace) -> int:
    """The Rust example's SUB: subscribe to --topic, receive [topic, Envelope{ping{seq}}] with consecutive seqs."""
    run, deadline = Run("sub"), Deadline(args.timeout)
    sock = open_socket(ctx, zmq.SUB, args)
    sock.setsockopt(zmq.SUBSCRIBE, args.topic.encode())
    expected = args.start_seq
    try:
        while run.summary["received"] < args.count:
            frames = recv(sock, deadline)
            run.summary["received"] += 1
            if len(frames) != 2:
                run.problem(f"expected [topic, payload], got {len(frames)} frames")
                continue
            topic, payload = frames
            if not topic.startswith(args.topic.encode()):
                run.problem(f"topic {topic!r} does not match the subscription {args.topic!r}")
            try:
                got = describe(decode(payload))
            except Exception as error:
                run.problem(f"undecodable payload {payload.hex()}: {error}")
                continue
            if got != {"case": "ping", "seq": str(expected)}:
                run.problem(f"expected ping seq {expected}, got {json.dumps(got)}")
            expected += 1
    except TimedOut as what:
        run.problem(f"timed out on {what} after {run.summary['received']} messages")
    finally:
        sock.close()
    return run.finish()


# --- servers --------------------------------------------------------------------------------------

def answer(run: Run, data: bytes) -> bytes:
    """Pong{seq} for a Ping; an ErrorReply (and a recorded problem) for anything else, so no peer hangs."""
    try:
        envelope = decode(data)
    except Exception as error:
        run.problem(f"undecodable request {data.hex()}: {error}")
        return error_reply(pb.ErrorReply.CODE_DECODE, f"cannot decode Envelope: {error}")
    if envelope.WhichOneof("payload") != "ping":
        run.problem(f"expected a ping, got {describe(envelope)}")
        return error_reply(pb.ErrorReply.CODE_UNKNOWN_PAYLOAD, "only ping is served")
    seq = envelope.ping.seq
    run.summary.setdefault("firstSeq", str(seq))
    run.summary["lastSeq"] = str(seq)
    return pong(seq)


def run_rep(ctx: zmq.Context, args: argparse.Namespace) -> int:
    """The Rust example's REP server: answer each Envelope{ping{seq}} with Envelope{pong{seq}}."""
    run, deadline = Run("rep"), Deadline(args.timeout)
    sock = open_socket(ctx, zmq.REP, args)
    try:
        while run.summary["received"] < args.count:
            frames = recv(sock, deadline)
            run.summary["received"] += 1
            if len(frames) != 1:
                run.problem(f"expected 1 request frame, got {len(frames)}")
                reply = error_reply(pb.ErrorReply.CODE_BAD_FRAMES, f"expected 1 frame, got {len(frames)}")
            else:
                reply = answer(run, frames[0])
            send(sock, [reply], deadline)
            run.summary["sent"] += 1
    except TimedOut as what:
        run.problem(f"timed out on {what} after {run.summary['received']} requests")
    finally:
        sock.close()
    return run.finish()


def run_router(ctx: zmq.Context, args: argparse.Namespace) -> int:
    """The Rust example's ROUTER server, replying the request's seq (the example replied 999) in the shape the peer
    used: [id, payload] for a bare DEALER, [id, "", payload] for REQ or a DEALER with delimiter."""
    run, deadline = Run("router"), Deadline(args.timeout)
    run.summary.update(delimited=0, bare=0)
    sock = open_socket(ctx, zmq.ROUTER, args)
    sock.setsockopt(zmq.ROUTER_MANDATORY, 1)  # a reply that cannot be routed is an error, not silence
    try:
        while run.summary["received"] < args.count:
            frames = recv(sock, deadline)
            run.summary["received"] += 1
            if len(frames) == 3 and frames[1] == b"":
                identity, envelope, payload = frames[0], [b""], frames[2]
                run.summary["delimited"] += 1
            elif len(frames) == 2:
                identity, envelope, payload = frames[0], [], frames[1]
                run.summary["bare"] += 1
            else:
                run.problem(f"expected [id, payload] or [id, '', payload], got {len(frames)} frames")
                continue  # no way to tell where the payload is; the peer's own timeout reports it
            send(sock, [identity, *envelope, answer(run, payload)], deadline)
            run.summary["sent"] += 1
    except TimedOut as what:
        run.problem(f"timed out on {what} after {run.summary['received']} requests")
    finally:
        sock.close()
    return run.finish()


def run_pub(ctx: zmq.Context, args: argparse.Namespace) -> int:
    """The Rust example's PUB: send [topic, Envelope{ping{seq}}]. With --wait-subscribers it runs as XPUB and
    publishes only once that many subscriptions arrived (no sleep-and-hope against slow joiners); each
    message under --topic is preceded by one under --noise-topic, which a filtering subscriber must drop."""
    run, deadline = Run("pub"), Deadline(args.timeout)
    sock = open_socket(ctx, zmq.XPUB if args.wait_subscribers else zmq.PUB, args)
    try:
        subscriptions: list[str] = []
        while len(subscriptions) < args.wait_subscribers:
            frame = recv(sock, deadline)[0]
            if frame[:1] == b"\x01":
                subscriptions.append(frame[1:].decode(errors="replace"))
        run.summary["subscriptions"] = subscriptions
        for seq in range(args.start_seq, args.start_seq + args.count):
            if args.noise_topic:
                send(sock, [args.noise_topic.encode(), ping(0)], deadline)
            send(sock, [args.topic.encode(), ping(seq)], deadline)
            run.summary["sent"] += 1
    except TimedOut as what:
        run.problem(f"timed out on {what} waiting for {args.wait_subscribers} subscriber(s)")
    finally:
        # PUB hands frames to its I/O thread; a short bounded linger lets the last ones reach loopback peers.
        sock.setsockopt(zmq.LINGER, min(1000, deadline.remaining_ms()))
        sock.close()
    return run.finish()


# --- wire vectors ---------------------------------------------------------------------------------

def run_encode(args: argparse.Namespace) -> int:
    """Prints the hex of one Envelope serialized by Python's protobuf."""
    if args.case == "ping":
        data = ping(int(args.seq))
    elif args.case == "pong":
        data = pong(int(args.seq))
    else:
        data = error_reply(args.code, args.message, int(args.seq))
    print(json.dumps({"role": "encode", "ok": True, "hex": data.hex()}), flush=True)
    return EXIT_OK


def run_decode(args: argparse.Namespace) -> int:
    """Parses hex bytes as an Envelope and prints what Python's protobuf read."""
    try:
        envelope = describe(decode(bytes.fromhex(args.hex)))
    except Exception as error:
        print(json.dumps({"role": "decode", "ok": False, "problems": [str(error)]}), flush=True)
        return EXIT_MISMATCH
    print(json.dumps({"role": "decode", "ok": True, "envelope": envelope}), flush=True)
    return EXIT_OK


# --- command line ---------------------------------------------------------------------------------

def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gen", required=True, help="directory holding protoc's example_pb2.py")
    commands = parser.add_subparsers(dest="command", required=True)

    def socket_command(name: str, helptext: str, *, server: bool,
                       run: Callable[..., int]) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=helptext)
        where = sub.add_mutually_exclusive_group()
        where.add_argument("--bind", help="endpoint to bind (servers: default tcp://127.0.0.1:*)")
        where.add_argument("--connect", help="endpoint to connect to")
        sub.add_argument("--count", type=int, default=1, help="messages to handle before exiting (default 1)")
        sub.add_argument("--timeout", type=float, default=10.0, help="seconds for the whole run (default 10)")
        sub.add_argument("--start-seq", type=int, default=1, help="first seq (default 1; up to 2^64-1)")
        sub.set_defaults(run=run, server=server)
        return sub

    for name, helptext, run in (("req", "REQ client: ping N times, check each pong's seq", run_req),
                                ("dealer", "DEALER client: single-frame pings, check pongs", run_dealer)):
        sub = socket_command(name, helptext, server=False, run=run)
        sub.add_argument("--garbage", metavar="HEX",
                         help="send these bytes instead of pings and expect an ErrorReply to each")
        if name == "dealer":
            sub.add_argument("--delimiter", action="store_true", help='send ["", payload] as REQ does')
            sub.add_argument("--window", type=int, default=1, help="requests in flight (default 1)")
    socket_command("rep", "REP server: answer pings with pongs", server=True, run=run_rep)
    socket_command("router", "ROUTER server: answer REQ and bare DEALER peers", server=True, run=run_router)
    pub = socket_command("pub", "PUB: publish [topic, ping]", server=True, run=run_pub)
    pub.add_argument("--topic", default="PING")
    pub.add_argument("--noise-topic", default="", help="also publish under this topic (subscribers filter it)")
    pub.add_argument("--wait-subscribers", type=int, default=0, help="XPUB: wait for this many subscriptions")
    sub = socket_command("sub", "SUB: receive [topic, ping] with consecutive seqs", server=False, run=run_sub)
    sub.add_argument("--topic", default="PING", help="subscription prefix (default PING)")

    enc = commands.add_parser("encode", help="print the hex of one Envelope")
    enc.add_argument("case", choices=["ping", "pong", "error"])
    enc.add_argument("--seq", default="0", help="decimal uint64")
    enc.add_argument("--code", type=int, default=0, help="ErrorReply code")
    enc.add_argument("--message", default="", help="ErrorReply message")
    enc.set_defaults(run=lambda _ctx, a: run_encode(a), server=None)
    dec = commands.add_parser("decode", help="parse hex bytes as an Envelope and print it")
    dec.add_argument("hex")
    dec.set_defaults(run=lambda _ctx, a: run_decode(a), server=None)

    args = parser.parse_args(argv)
    if args.server is not None:
        if not args.bind and not args.connect:
            if not args.server:
                parser.error(f"{args.command} needs --connect or --bind")
            args.bind = "tcp://127.0.0.1:*"
        if args.count < 1 or (args.command == "dealer" and args.window < 1):
            parser.error("--count and --window must be at least 1")
    return args


def main(argv: list[str]) -> int:
    global pb
    args = parse_args(argv)
    pb = load_generated(args.gen)
    ctx = zmq.Context()
    ctx.setsockopt(zmq.LINGER, 0)
    try:
        return args.run(ctx, args)
    finally:
        ctx.term()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
