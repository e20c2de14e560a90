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
import os
import sys
import time
from typing import Any, Callable

import zmq
from google.protobuf.internal.decoder import _DecodeVarint32
from google.protobuf.internal.encoder import _VarintBytes
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

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


# --- the batch wire (docs/wire.md, "Batches") -----------------------------------------------------
# A batch is the marker frame, then one frame holding many messages in protobuf's length-delimited stream
# format: each message prefixed by its length as a varint (what writeDelimitedTo / encodeDelimited write).

BATCH_MARKER = b"zpb.batch.v1"


def join_batch(messages: list[bytes]) -> bytes:
    """One batch frame: varint length + message, for each message in order."""
    return b"".join(_VarintBytes(len(m)) + m for m in messages)


def split_batch(frame: bytes) -> list[bytes]:
    """The messages of a batch frame, in order; raises ValueError on a frame that does not split."""
    items, pos = [], 0
    while pos < len(frame):
        length, pos = _DecodeVarint32(frame, pos)
        if pos + length > len(frame):
            raise ValueError(f"item {len(items)}: {length} bytes announced, {len(frame) - pos} left")
        items.append(frame[pos:pos + length])
        pos += length
    if not items:
        raise ValueError("an empty batch frame")
    return items


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


def apply_curve(ctx: zmq.Context, sock: zmq.Socket, args: argparse.Namespace) -> None:
    """CURVE as pyzmq's own zmq.auth does it: certificates read with load_certificate(); a server with
    --authorized-keys runs a ThreadAuthenticator with configure_curve(location=DIR)."""
    if args.curve_cert is None and args.curve_server_key is None:
        return
    if args.bind:  # the CURVE server
        _, secret = zmq.auth.load_certificate(args.curve_cert)
        sock.curve_secretkey = secret
        sock.curve_server = True
        if args.authorized_keys:
            auth = ThreadAuthenticator(ctx)
            auth.start()
            auth.configure_curve(domain="*", location=args.authorized_keys)
            args.authenticator = auth
        return
    key = args.curve_server_key
    sock.curve_serverkey = zmq.auth.load_certificate(key)[0] if os.path.exists(key) else key.encode()
    if args.curve_cert:
        public, secret = zmq.auth.load_certificate(args.curve_cert)
    else:
        public, secret = zmq.curve_keypair()
    sock.curve_publickey = public
    sock.curve_secretkey = secret


def open_socket(ctx: zmq.Context, kind: int, args: argparse.Namespace) -> zmq.Socket:
    """A socket with linger 0 (a dead peer must never hold the process), bound or connected per args."""
    sock = ctx.socket(kind)
    sock.setsockopt(zmq.LINGER, 0)
    apply_curve(ctx, sock, args)
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
    if args.batch > 1:
        return run_dealer_batches(ctx, args)
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


def run_dealer_batches(ctx: zmq.Context, args: argparse.Namespace) -> int:
    """DEALER speaking the batch wire: pings go out --batch at a time as [marker, batch] (after "" with
    --delimiter), up to --window batches in flight; each reply must be one batch of pongs, in request order."""
    run, deadline = Run("dealer"), Deadline(args.timeout)
    run.summary.update(delimiter=args.delimiter, batch=args.batch, batchesSent=0, batchReplies=0)
    sock = open_socket(ctx, zmq.DEALER, args)
    prefix = [b""] if args.delimiter else []
    seqs = list(range(args.start_seq, args.start_seq + args.count))
    batches = [seqs[i:i + args.batch] for i in range(0, len(seqs), args.batch)]
    outstanding: dict[int, list[int]] = {}  # first seq of a batch -> its seqs
    next_batch = 0
    try:
        while next_batch < len(batches) or outstanding:
            while next_batch < len(batches) and len(outstanding) < args.window:
                batch = batches[next_batch]
                frames = [ping(seq) for seq in batch]
                send(sock, prefix + ([BATCH_MARKER, join_batch(frames)] if len(batch) > 1 else frames), deadline)
                outstanding[batch[0]] = batch
                next_batch += 1
                run.summary["sent"] += len(batch)
                run.summary["batchesSent"] += 1 if len(batch) > 1 else 0
            frames = recv(sock, deadline)
            body = frames[len(prefix):]
            if frames[:len(prefix)] != prefix:
                run.problem(f"reply shape {[f.hex() for f in frames]}: expected {len(prefix)} empty frame(s) first")
            if len(body) == 2 and body[0] == BATCH_MARKER:
                run.summary["batchReplies"] += 1
                try:
                    payloads = split_batch(body[1])
                except Exception as error:
                    run.problem(f"reply batch does not split: {error}")
                    break
            elif len(body) == 1:
                payloads = body
            else:
                run.problem(f"reply of {len(body)} body frames is neither [payload] nor [marker, batch]")
                break
            got = [check_reply(run, payload, args) for payload in payloads]
            run.summary["received"] += len(got)
            asked = outstanding.pop(got[0], None) if got and got[0] is not None else None
            if asked is None:
                run.problem(f"reply starting with seq {got[:1]} matches no batch in flight")
            elif got != asked:
                run.problem(f"batch {asked[0]}..{asked[-1]} answered with seqs {got[:5]}..., expected the same order")
    except TimedOut as what:
        run.problem(f"timed out on {what} with {len(outstanding)} batches outstanding")
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
            if len(frames) == 3 and frames[1] == BATCH_MARKER:
                run.summary["batches"] = run.summary.get("batches", 0) + 1
                try:
                    payloads = split_batch(frames[2])
                except Exception as error:
                    run.problem(f"batch does not split: {error}")
                    continue
            elif len(frames) == 2:
                payloads = [frames[1]]
            else:
                run.problem(f"expected [topic, payload] or [topic, marker, batch], got {len(frames)} frames")
                run.summary["received"] += 1
                continue
            topic = frames[0]
            if not topic.startswith(args.topic.encode()):
                run.problem(f"topic {topic!r} does not match the subscription {args.topic!r}")
            for payload in payloads:
                run.summary["received"] += 1
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
            body_at = 2 if len(frames) > 2 and frames[1] == b"" else 1
            if len(frames) == body_at + 2 and frames[body_at] == BATCH_MARKER:
                # A batch: answer every item, in order, with one batch (docs/wire.md, "Batches").
                run.summary["batches"] = run.summary.get("batches", 0) + 1
                try:
                    items = split_batch(frames[body_at + 1])
                except Exception as error:
                    run.problem(f"batch does not split: {error}")
                    continue  # no way to answer each item; the peer's own timeout reports it
                run.summary["received"] += len(items) - 1
                replies = [answer(run, item) for item in items]
                send(sock, [*frames[:body_at], BATCH_MARKER, join_batch(replies)], deadline)
                run.summary["sent"] += len(replies)
                continue
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
        seqs = list(range(args.start_seq, args.start_seq + args.count))
        for i in range(0, len(seqs), args.batch):
            chunk = seqs[i:i + args.batch]
            if args.noise_topic:
                send(sock, [args.noise_topic.encode(), ping(0)], deadline)
            if args.batch > 1:
                send(sock, [args.topic.encode(), BATCH_MARKER, join_batch([ping(seq) for seq in chunk])], deadline)
            else:
                send(sock, [args.topic.encode(), ping(chunk[0])], deadline)
            run.summary["sent"] += len(chunk)
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


def run_encode_batch(args: argparse.Namespace) -> int:
    """Prints the hex of one batch frame of Envelope{ping{seq}} messages, built by Python."""
    frame = join_batch([ping(int(seq)) for seq in args.seqs.split(",")])
    print(json.dumps({"role": "encode-batch", "ok": True, "marker": BATCH_MARKER.hex(), "hex": frame.hex()}),
          flush=True)
    return EXIT_OK


def run_decode_batch(args: argparse.Namespace) -> int:
    """Splits hex bytes as a batch frame and prints every Envelope Python's protobuf read in it."""
    try:
        envelopes = [describe(decode(item)) for item in split_batch(bytes.fromhex(args.hex))]
    except Exception as error:
        print(json.dumps({"role": "decode-batch", "ok": False, "problems": [str(error)]}), flush=True)
        return EXIT_MISMATCH
    print(json.dumps({"role": "decode-batch", "ok": True, "envelopes": envelopes}), flush=True)
    return EXIT_OK


def run_keygen(args: argparse.Namespace) -> int:
    """pyzmq's own certificate writer, so tests can hand zpb keys it did not make."""
    public_file, secret_file = zmq.auth.create_certificates(args.out, args.name)
    public, _ = zmq.auth.load_certificate(public_file)
    print(json.dumps({"publicFile": public_file, "secretFile": secret_file, "publicKey": public.decode()}))
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
        sub.add_argument("--curve-cert", metavar="FILE",
                         help="CURVE: this peer's secret certificate (NAME.key_secret), read with load_certificate()")
        sub.add_argument("--curve-server-key", metavar="FILE|Z85",
                         help="CURVE client: the server's public certificate or Z85 key (no --curve-cert: a new pair)")
        sub.add_argument("--authorized-keys", metavar="DIR",
                         help="CURVE server: accept only clients whose *.key is in DIR (ThreadAuthenticator)")
        sub.set_defaults(run=run, server=server, authenticator=None)
        return sub

    for name, helptext, run in (("req", "REQ client: ping N times, check each pong's seq", run_req),
                                ("dealer", "DEALER client: single-frame pings, check pongs", run_dealer)):
        sub = socket_command(name, helptext, server=False, run=run)
        sub.add_argument("--garbage", metavar="HEX",
                         help="send these bytes instead of pings and expect an ErrorReply to each")
        if name == "dealer":
            sub.add_argument("--delimiter", action="store_true", help='send ["", payload] as REQ does')
            sub.add_argument("--window", type=int, default=1,
                             help="requests (with --batch: batches) in flight (default 1)")
            sub.add_argument("--batch", type=int, default=1,
                             help="pings per batch [marker, batch] (default 1: single frames)")
    socket_command("rep", "REP server: answer pings with pongs", server=True, run=run_rep)
    socket_command("router", "ROUTER server: answer REQ and bare DEALER peers", server=True, run=run_router)
    pub = socket_command("pub", "PUB: publish [topic, ping]", server=True, run=run_pub)
    pub.add_argument("--topic", default="PING")
    pub.add_argument("--noise-topic", default="", help="also publish under this topic (subscribers filter it)")
    pub.add_argument("--wait-subscribers", type=int, default=0, help="XPUB: wait for this many subscriptions")
    pub.add_argument("--batch", type=int, default=1,
                     help="pings per [topic, marker, batch] message (default 1: [topic, payload])")
    sub = socket_command("sub", "SUB: receive [topic, ping] with consecutive seqs", server=False, run=run_sub)
    sub.add_argument("--topic", default="PING", help="subscription prefix (default PING)")

    enc = commands.add_parser("encode", help="print the hex of one Envelope")
    enc.add_argument("case", choices=["ping", "pong", "error"])
    enc.add_argument("--seq", default="0", help="decimal uint64")
    enc.add_argument("--code", type=int, default=0, help="ErrorReply code")
    enc.add_argument("--message", default="", help="ErrorReply message")
    enc.set_defaults(run=lambda _ctx, a: run_encode(a), server=None)
    encb = commands.add_parser("encode-batch", help="print the hex of one batch frame of pings")
    encb.add_argument("--seqs", required=True, help="comma-separated decimal uint64 seqs")
    encb.set_defaults(run=lambda _ctx, a: run_encode_batch(a), server=None)
    decb = commands.add_parser("decode-batch", help="split hex bytes as a batch frame and print its Envelopes")
    decb.add_argument("hex")
    decb.set_defaults(run=lambda _ctx, a: run_decode_batch(a), server=None)
    dec = commands.add_parser("decode", help="parse hex bytes as an Envelope and print it")
    dec.add_argument("hex")
    dec.set_defaults(run=lambda _ctx, a: run_decode(a), server=None)
    key = commands.add_parser("keygen", help="write NAME.key and NAME.key_secret with zmq.auth.create_certificates")
    key.add_argument("--out", required=True)
    key.add_argument("--name", required=True)
    key.set_defaults(run=lambda _ctx, a: run_keygen(a), server=None)

    args = parser.parse_args(argv)
    if args.server is not None:
        if not args.bind and not args.connect:
            if not args.server:
                parser.error(f"{args.command} needs --connect or --bind")
            args.bind = "tcp://127.0.0.1:*"
        if args.count < 1 or (args.command == "dealer" and args.window < 1):
            parser.error("--count and --window must be at least 1")
        if getattr(args, "batch", 1) < 1:
            parser.error("--batch must be at least 1")
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
        if getattr(args, "authenticator", None) is not None:
            args.authenticator.stop()
        ctx.term()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
