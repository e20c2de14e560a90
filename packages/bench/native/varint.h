/* Protobuf base-128 varints, shared by the bench's native programs (load.c, router.c). */
#ifndef ZPB_BENCH_VARINT_H
#define ZPB_BENCH_VARINT_H

#include <stddef.h>
#include <stdint.h>

/* Appends seq as a base-128 varint; returns the bytes written (at most 10). */
static inline size_t put_varint(uint8_t *out, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  out[n++] = (uint8_t)v;
  return n;
}

/* Reads a varint at *p (bounded by end); returns 0 when it is truncated or longer than 10 bytes. */
static inline int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  uint64_t x = 0;
  for (int shift = 0; shift < 70 && *p < end; shift += 7) {
    uint8_t b = *(*p)++;
    x |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = x;
      return 1;
    }
  }
  return 0;
}

#endif
