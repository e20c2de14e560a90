/*
 * router.c: a single-threaded ROUTER server in C on libzmq, the bench's "libzmq native" peer.
 *
 * It stands in for the Rust prost + zmq example's server: the same loop with no JS and no
 * protobuf library, so its row shows the ceiling of one thread on this machine. It answers
 * Envelope{ping{seq}} with Envelope{pong{seq}} (same seq) after `iterations` rounds of the same
 * xorshift32 busy work as src/work.ts, on both envelope shapes the bench uses:
 *   [identity, payload]          (DEALER, single frame: the Rust example's DEALER wire)
 *   [identity, empty, payload]   (REQ, or the readiness probe)
 * Anything that is not a Ping gets ErrorReply{CODE_UNKNOWN_PAYLOAD}, as our server does.
 *
 * Usage: router --bind tcp://127.0.0.1:PORT|* [--iterations N]
 * Once bound it prints {"endpoint":"tcp://127.0.0.1:PORT"} on stdout (the port the OS picked for *).
 * SIGTERM or SIGINT: closes the socket and exits 0 (the runner stops servers with SIGTERM).
 * Build: cc -O2 -o build/router router.c -lzmq   (the bench does this itself; see src/native.ts)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "varint.h"

static volatile sig_atomic_t stopping = 0;
static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}


/* Envelope{ping{seq}} → 1 with *seq set; anything else (or a malformed frame) → 0. The ping is
 * the only payload field this server accepts, so a strict reading of that one shape is enough:
 * field 1 (length-delimited) holding field 1 (varint), proto3 omitting a zero seq. */
static int decode_ping(const uint8_t *p, size_t len, uint64_t *seq) {
  const uint8_t *end = p + len;
  uint64_t n;
  if (len < 2 || p[0] != 0x0a) return 0;
  p++;
  if (!get_varint(&p, end, &n) || n != (uint64_t)(end - p)) return 0;
  *seq = 0;
  while (p < end) {
    uint64_t key, v;
    if (!get_varint(&p, end, &key) || (key & 7) != 0 || !get_varint(&p, end, &v)) return 0;
    if (key == 0x08) *seq = v;
  }
  return 1;
}

/* Envelope{pong{seq}}: 0x12 len [0x08 varint(seq)]. */
static size_t encode_pong(uint8_t *out, uint64_t seq) {
  size_t n = 0;
  uint8_t inner[11];
  if (seq != 0) {
    inner[n++] = 0x08;
    n += put_varint(inner + n, seq);
  }
  out[0] = 0x12;
  out[1] = (uint8_t)n;
  memcpy(out + 2, inner, n);
  return n + 2;
}

/* Envelope{error{code: CODE_UNKNOWN_PAYLOAD (2), message: "expected ping"}}. */
static size_t encode_unknown_payload(uint8_t *out) {
  static const char msg[] = "expected ping";
  size_t m = sizeof msg - 1, n = 0;
  uint8_t inner[32];
  inner[n++] = 0x08;
  inner[n++] = 2;
  inner[n++] = 0x12;
  inner[n++] = (uint8_t)m;
  memcpy(inner + n, msg, m);
  n += m;
  out[0] = 0x1a;
  out[1] = (uint8_t)n;
  memcpy(out + 2, inner, n);
  return n + 2;
}

/* The same busy work as busyWork() in src/work.ts: xorshift32 on an int32 seeded from the seq. */
static volatile uint32_t sink; /* read by nobody, but volatile: the compiler must keep the work */
static void busy_work(uint64_t iterations, uint64_t seq) {
  uint32_t x = (uint32_t)(seq & 0xffffffffu);
  if (x == 0) x = 0x2545f491u;
  for (uint64_t i = 0; i < iterations; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
  }
  sink ^= x;
}

int main(int argc, char **argv) {
  const char *endpoint = NULL;
  uint64_t iterations = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--bind")) endpoint = argv[i + 1];
    else if (!strcmp(argv[i], "--iterations")) iterations = strtoull(argv[i + 1], NULL, 10);
    else {
      fprintf(stderr, "router: unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  if (!endpoint) {
    fprintf(stderr, "router: --bind is required\n");
    return 2;
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: a blocking zmq_msg_recv returns EINTR */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  void *ctx = zmq_ctx_new();
  void *sock = zmq_socket(ctx, ZMQ_ROUTER);
  int linger = 0, wake_ms = 100;
  zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
  /* A signal that lands between the `stopping` check and the blocking wait would be missed:
   * waking every 100 ms when idle bounds the stop, and costs nothing while requests flow. */
  zmq_setsockopt(sock, ZMQ_RCVTIMEO, &wake_ms, sizeof wake_ms);
  if (zmq_bind(sock, endpoint) != 0) {
    fprintf(stderr, "router: bind %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
    return 1;
  }
  char bound[256];
  size_t bound_size = sizeof bound;
  zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, bound, &bound_size);
  printf("{\"endpoint\":\"%s\"}\n", bound);
  fflush(stdout);

  /* One request at a time: up to 3 frames in; the envelope (all frames but the last) goes back
   * unchanged in front of the answer. Longer envelopes are answered as malformed by dropping. */
  zmq_msg_t frames[4];
  for (int k = 0; k < 4; k++) zmq_msg_init(&frames[k]);
  uint8_t answer[64];
  while (!stopping) {
    int count = 0, more = 1;
    while (more) {
      zmq_msg_t *f = &frames[count < 4 ? count : 3];
      if (zmq_msg_recv(f, sock, 0) < 0) {
        if (zmq_errno() == EAGAIN && !stopping) {
          if (count == 0) continue; /* idle: look at `stopping` again */
          fprintf(stderr, "router: a message stopped between its frames\n");
          goto done;
        }
        if (zmq_errno() == EAGAIN || zmq_errno() == EINTR || zmq_errno() == ETERM) goto done;
        fprintf(stderr, "router: recv: %s\n", zmq_strerror(zmq_errno()));
        return 1;
      }
      more = zmq_msg_more(f);
      count++;
    }
    if (count < 2 || count > 3) continue; /* not a shape this bench sends */
    zmq_msg_t *payload = &frames[count - 1];
    uint64_t seq;
    size_t n;
    if (decode_ping(zmq_msg_data(payload), zmq_msg_size(payload), &seq)) {
      if (iterations) busy_work(iterations, seq);
      n = encode_pong(answer, seq);
    } else {
      n = encode_unknown_payload(answer);
    }
    /* ROUTER drops replies to a peer whose queue is full, like the plain JS ROUTER (default options). */
    for (int k = 0; k < count - 1; k++) {
      if (zmq_msg_send(&frames[k], sock, ZMQ_SNDMORE) < 0) goto done;
    }
    if (zmq_send(sock, answer, n, 0) < 0 && zmq_errno() != EAGAIN && zmq_errno() != EHOSTUNREACH) {
      if (zmq_errno() == EINTR || zmq_errno() == ETERM) goto done;
    }
  }
done:
  for (int k = 0; k < 4; k++) zmq_msg_close(&frames[k]);
  zmq_close(sock);
  zmq_ctx_term(ctx);
  return 0;
}
