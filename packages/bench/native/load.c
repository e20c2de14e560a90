/*
 * load.c: the bench's native DEALER load client, libzmq only, one thread.
 *
 * Why: on a 2-core machine the JS load client (zeromq.js) takes 60-100 % of a core, so it
 * competes with the server it measures. This client does the same job as runDealerClient in
 * src/roles/zmq-clients.ts for a few % of a core, so the figures are the servers'.
 *
 * Wire: the Rust prost + zmq example's DEALER wire (docs/wire.md), one frame per request: Envelope{ping{seq}} encoded
 * by hand exactly as @zpb/proto does (0x0a len 0x08 varint(seq)); the reply is Envelope{pong{seq}}
 * (0x12 len 0x08 varint(seq)). A test compares these bytes with envelopeCodec.
 *
 * Protocol with its Node wrapper (src/roles/native-client.ts), one line each on stdout/stdin:
 *   stdout  {"ready":true}        socket connected, waiting
 *   stdin   go                     start now (EOF before "go" ends the process, exit 3)
 *   stdout  {...LoadClientResult}  the same fields as the JS client's result, then exit 0
 *
 * Usage: load --endpoint tcp://127.0.0.1:PORT --window N --count N --warmup N --duration-ms MS
 *             --seq-base N --stall-ms MS [--batch N]
 *
 * --batch N (N > 1) sends up to N pings per ZeroMQ message as a zpb batch (docs/wire.md, "Batches"):
 * the marker frame "zpb.batch.v1", then one frame of varint(length) + Envelope per ping; a batch
 * reply is split the same way. 1 (the default) is the single-frame wire above.
 *        load --encode-ping SEQ        print the request's bytes as hex (tests)
 *        load --decode-reply HEX       print the reply's seq, or "unexpected" (tests)
 *
 * Build: cc -O2 -o build/load load.c -lzmq   (the bench does this itself; see src/native.ts)
 *
 * Where its CPU goes (measured here, 2-core EPYC, ~80k replies/s): about a third in this thread,
 * two thirds in libzmq's I/O thread (a TCP read per reply segment the server sends, and the
 * wake-ups between the two threads). Refilling the window in batches (see `batch`) halved it.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zmq.h>

#include "varint.h"

/* ---- protobuf, the two messages we need ---------------------------------------------------- */


/*
 * Envelope{ping{seq}}: field 1 (ping, length-delimited) holding field 1 (seq, varint).
 * proto3 leaves a zero seq out, so ping(0) is 0a 00, as @zpb/proto writes it.
 */
static size_t encode_ping(uint8_t *out, uint64_t seq) {
  uint8_t inner[11];
  size_t n = 0;
  if (seq != 0) {
    inner[n++] = 0x08;
    n += put_varint(inner + n, seq);
  }
  out[0] = 0x0a;
  out[1] = (uint8_t)n; /* at most 11: one length byte */
  memcpy(out + 2, inner, n);
  return n + 2;
}

/*
 * Finds the seq of an Envelope{pong{seq}}. Returns 1 with *seq set for a Pong; 0 for anything
 * else (an ErrorReply, a Ping, a malformed frame). Unknown fields are skipped, as protobuf asks.
 */
static int decode_pong(const uint8_t *p, size_t len, uint64_t *seq) {
  const uint8_t *end = p + len;
  int is_pong = 0;
  uint64_t found = 0;
  while (p < end) {
    uint64_t key, n;
    if (!get_varint(&p, end, &key)) return 0;
    switch (key & 7) {
      case 0: /* varint */
        if (!get_varint(&p, end, &n)) return 0;
        break;
      case 1: /* 64-bit */
        if (end - p < 8) return 0;
        p += 8;
        break;
      case 5: /* 32-bit */
        if (end - p < 4) return 0;
        p += 4;
        break;
      case 2: { /* length-delimited */
        if (!get_varint(&p, end, &n) || n > (uint64_t)(end - p)) return 0;
        const uint8_t *sub = p, *sub_end = p + n;
        p = sub_end;
        if ((key >> 3) != 2) {
          is_pong = 0; /* oneof: the last payload field wins */
          break;
        }
        is_pong = 1;
        found = 0;
        while (sub < sub_end) {
          uint64_t k, v;
          if (!get_varint(&sub, sub_end, &k)) return 0;
          if ((k & 7) == 0) {
            if (!get_varint(&sub, sub_end, &v)) return 0;
            if ((k >> 3) == 1) found = v;
          } else if ((k & 7) == 2) {
            if (!get_varint(&sub, sub_end, &v) || v > (uint64_t)(sub_end - sub)) return 0;
            sub += v;
          } else if ((k & 7) == 1 && sub_end - sub >= 8) {
            sub += 8;
          } else if ((k & 7) == 5 && sub_end - sub >= 4) {
            sub += 4;
          } else {
            return 0;
          }
        }
        break;
      }
      default:
        return 0;
    }
  }
  if (is_pong) *seq = found;
  return is_pong;
}

/* ---- the batch wire ---------------------------------------------------------------------------- */

static const char MARKER[] = "zpb.batch.v1";
#define MARKER_LEN (sizeof MARKER - 1)

/* Appends Envelope{ping{seq}} to a batch frame with its varint length prefix; returns the bytes written. */
static size_t append_ping(uint8_t *out, uint64_t seq) {
  uint8_t msg[16];
  size_t n = encode_ping(msg, seq);
  size_t k = put_varint(out, n);
  memcpy(out + k, msg, n);
  return k + n;
}

/* ---- clocks --------------------------------------------------------------------------------- */

/* CLOCK_MONOTONIC seconds: the clock Node's process.hrtime uses, so the runner can line up clients. */
static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User + system CPU seconds of the whole process (libzmq's I/O thread included). */
static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* ---- the load run --------------------------------------------------------------------------- */

struct config {
  const char *endpoint;
  uint64_t window, count, warmup, duration_ms, seq_base, stall_ms, pack;
};

static void die(const char *what) {
  fprintf(stderr, "load: %s: %s\n", what, zmq_strerror(zmq_errno()));
  exit(1);
}

/* Waits for the wrapper's "go" line; EOF or anything else means the run was called off. */
static void wait_for_go(void) {
  char line[16];
  if (!fgets(line, sizeof line, stdin) || strncmp(line, "go", 2) != 0) exit(3);
}

static int run(const struct config *c) {
  void *ctx = zmq_ctx_new();
  void *sock = zmq_socket(ctx, ZMQ_DEALER);
  if (!sock) die("zmq_socket");
  int linger = 0;
  zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
  if (zmq_connect(sock, c->endpoint) != 0) die("zmq_connect");

  /* One bit per request: a reply must find its bit clear (else it is a duplicate). */
  uint8_t *answered = calloc(c->count / 8 + 1, 1);
  if (!answered) die("calloc");

  printf("{\"ready\":true}\n");
  fflush(stdout);
  wait_for_go();

  uint64_t sent = 0, received = 0, duplicates = 0, unexpected = 0, warm_count = 0;
  int stalled = 0, sending = 1;
  double cpu0 = cpu_seconds();
  double start = now_seconds(), last_at = 0, warm_at = 0, last_progress = start;
  double send_until = start + c->duration_ms / 1000.0;
  /* Warm-up ends at `warmup` replies or a quarter of the time cap, whichever comes first. */
  double warm_until = start + c->duration_ms / 4000.0;
  double stall_s = c->stall_ms / 1000.0;
  int want_out = 0; /* the last send hit the HWM: also wait for the socket to become writable */
  static uint8_t req[16], rep[1 << 20], packed[1 << 20];
  int in_batch = 0; /* the last frame was the batch marker: the next one is a batch frame */
  /*
   * Refill in batches: send only once at least `batch` slots are free, and while fewer are free
   * but replies are flowing, nap briefly instead of waking for every single reply. Each wake-up
   * costs syscalls in this thread and in libzmq's I/O thread (most of a pipelining client's CPU);
   * the server still always has between window - batch and window requests queued.
   */
  uint64_t batch = c->window / 4 > 0 ? c->window / 4 : 1;
  const struct timespec nap = {0, 100 * 1000};

  for (;;) {
    uint64_t drained = 0;
    /* Take every reply that is already here. */
    for (;;) {
      int n = zmq_recv(sock, rep, sizeof rep, ZMQ_DONTWAIT);
      if (n < 0) {
        if (zmq_errno() == EAGAIN) break;
        if (zmq_errno() == EINTR) continue;
        die("zmq_recv");
      }
      int more = 0;
      size_t more_size = sizeof more;
      zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &more_size);
      if (more) {
        /* a multi-frame reply: its last frame is the payload, or the batch after the marker */
        in_batch = (size_t)n == MARKER_LEN && memcmp(rep, MARKER, MARKER_LEN) == 0;
        continue;
      }
      drained++;
      double now = now_seconds();
      last_progress = now;
      const uint8_t *item = rep, *end = rep + ((size_t)n > sizeof rep ? 0 : (size_t)n);
      uint64_t item_len = (uint64_t)(end - rep);
      int batch_reply = in_batch;
      in_batch = 0;
      if ((size_t)n > sizeof rep || (n == 0 && !batch_reply)) {
        unexpected++;
        continue;
      }
      while (item < end) {
        if (batch_reply && (!get_varint(&item, end, &item_len) || item_len > (uint64_t)(end - item))) {
          unexpected++;
          break;
        }
        const uint8_t *this_item = item;
        item += item_len;
        uint64_t seq;
        if (!decode_pong(this_item, (size_t)item_len, &seq) || seq < c->seq_base || seq - c->seq_base >= sent) {
          unexpected++;
          continue;
        }
        uint64_t i = seq - c->seq_base;
        if (answered[i >> 3] & (1u << (i & 7))) {
          duplicates++;
          continue;
        }
        answered[i >> 3] |= (uint8_t)(1u << (i & 7));
        received++;
        last_at = now;
        if (warm_at == 0 && (received >= c->warmup || now >= warm_until)) {
          warm_at = now;
          warm_count = received;
        }
      }
    }

    double now = now_seconds();
    if (sending && (sent >= c->count || now > send_until)) sending = 0;

    /* Fill the window, once a batch of slots is free (or when a shorter tail is all that is left). */
    want_out = 0;
    uint64_t free_slots = c->window - (sent - received);
    int refill = free_slots >= batch || free_slots >= c->count - sent || sent == received;
    while (refill && sending && sent < c->count && sent - received < c->window) {
      if (c->pack > 1) {
        /* One batch: the marker, then as many pings as the pack size, the window and the count allow. */
        uint64_t m = c->pack, room = c->window - (sent - received), left = c->count - sent;
        if (m > room) m = room;
        if (m > left) m = left;
        size_t len = 0;
        for (uint64_t k = 0; k < m; k++) len += append_ping(packed + len, c->seq_base + sent + k);
        if (zmq_send(sock, MARKER, MARKER_LEN, ZMQ_DONTWAIT | ZMQ_SNDMORE) < 0) {
          if (zmq_errno() == EAGAIN) {
            want_out = 1;
            break;
          }
          if (zmq_errno() == EINTR) continue;
          die("zmq_send");
        }
        /* libzmq takes the rest of a message whose first frame it accepted */
        while (zmq_send(sock, packed, len, 0) < 0)
          if (zmq_errno() != EINTR) die("zmq_send");
        sent += m;
        continue;
      }
      size_t len = encode_ping(req, c->seq_base + sent);
      if (zmq_send(sock, req, len, ZMQ_DONTWAIT) < 0) {
        if (zmq_errno() == EAGAIN) {
          want_out = 1; /* at the send HWM: wait until libzmq takes more */
          break;
        }
        if (zmq_errno() == EINTR) continue;
        die("zmq_send");
      }
      sent++;
    }

    if (!sending && received >= sent) break;
    if (now - last_progress > stall_s && sent > received) {
      stalled = 1; /* replies stopped while requests were outstanding: they count as lost */
      break;
    }

    if (drained > 0 && !refill && !want_out) {
      nanosleep(&nap, NULL); /* replies are flowing: let a batch of them gather */
      continue;
    }
    zmq_pollitem_t item = {sock, 0, (short)(ZMQ_POLLIN | (want_out ? ZMQ_POLLOUT : 0)), 0};
    /* Wake at least every 100 ms to notice the end of the time cap or a stall. */
    if (zmq_poll(&item, 1, 100) < 0 && zmq_errno() != EINTR) die("zmq_poll");
  }

  double wall = now_seconds() - start;
  double cpu = cpu_seconds() - cpu0;
  zmq_close(sock);
  zmq_ctx_term(ctx);
  free(answered);

  int warmed = warm_at > 0 && last_at > warm_at;
  uint64_t counted = warmed ? received - warm_count : received;
  double from = warmed ? warm_at : start;
  double measured = last_at - from;
  if (measured < 1e-9) measured = 1e-9;
  printf("{\"sent\":%" PRIu64 ",\"received\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"duplicates\":%" PRIu64
         ",\"unexpected\":%" PRIu64 ",\"stalled\":%s,\"measuredSeconds\":%.9f,\"msgsPerSec\":%.3f,\"counted\":%" PRIu64
         ",\"fromSeconds\":%.9f,\"toSeconds\":%.9f,\"wallSeconds\":%.9f,\"cpuSeconds\":%.6f}\n",
         sent, received, sent - received, duplicates, unexpected, stalled ? "true" : "false", measured, counted / measured,
         counted, from, last_at, wall, cpu);
  fflush(stdout);
  return 0;
}

/* ---- arguments ------------------------------------------------------------------------------ */

static uint64_t number(const char *flag, const char *s) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || !*s) {
    fprintf(stderr, "load: %s expects a non-negative integer, got '%s'\n", flag, s);
    exit(2);
  }
  return (uint64_t)v;
}

int main(int argc, char **argv) {
  struct config c = {NULL, 100, 100000, 10000, 8000, 1, 2000, 1};
  for (int i = 1; i < argc; i++) {
    const char *flag = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (!value) {
      fprintf(stderr, "load: %s needs a value\n", flag);
      return 2;
    }
    i++;
    if (!strcmp(flag, "--encode-ping")) {
      uint8_t buf[16];
      size_t n = encode_ping(buf, number(flag, value));
      for (size_t k = 0; k < n; k++) printf("%02x", buf[k]);
      printf("\n");
      return 0;
    } else if (!strcmp(flag, "--decode-reply")) {
      uint8_t buf[256];
      size_t n = strlen(value) / 2;
      if (n > sizeof buf) return 2;
      for (size_t k = 0; k < n; k++) sscanf(value + 2 * k, "%2hhx", &buf[k]);
      uint64_t seq;
      if (decode_pong(buf, n, &seq)) printf("%" PRIu64 "\n", seq);
      else printf("unexpected\n");
      return 0;
    } else if (!strcmp(flag, "--endpoint")) c.endpoint = value;
    else if (!strcmp(flag, "--window")) c.window = number(flag, value);
    else if (!strcmp(flag, "--count")) c.count = number(flag, value);
    else if (!strcmp(flag, "--warmup")) c.warmup = number(flag, value);
    else if (!strcmp(flag, "--duration-ms")) c.duration_ms = number(flag, value);
    else if (!strcmp(flag, "--seq-base")) c.seq_base = number(flag, value);
    else if (!strcmp(flag, "--stall-ms")) c.stall_ms = number(flag, value);
    else if (!strcmp(flag, "--batch")) c.pack = number(flag, value);
    else {
      fprintf(stderr, "load: unknown flag %s\n", flag);
      return 2;
    }
  }
  if (!c.endpoint || c.window == 0 || c.pack == 0) {
    fprintf(stderr, "load: --endpoint is required and --window and --batch must be > 0\n");
    return 2;
  }
  return run(&c);
}
