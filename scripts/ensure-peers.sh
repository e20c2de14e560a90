#!/usr/bin/env bash
# Installs the peers we did not write: Debian's pyzmq, python protobuf and protoc for the interop tests
# (Python code is generated from our .proto at test time) — required; and libzmq's headers for the
# bench's native load client — optional (the bench falls back to its JS client without them); and iproute2's
# `ip` for the multi-host tests in network namespaces (integration/src/hosts, run as root).
# Idempotent and quiet when everything is present.
set -euo pipefail

have_required() {
  /usr/bin/python3 -c 'import zmq, google.protobuf' >/dev/null 2>&1 && command -v protoc >/dev/null 2>&1
}
have_optional() {
  [ -f /usr/include/zmq.h ] && command -v ip >/dev/null 2>&1
}

have_required && have_optional && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  have_optional || echo "note: libzmq3-dev or iproute2 missing: the bench's native load client or the namespace tests are skipped" >&2
  have_required && exit 0
  echo "interop peers missing: install python3-zmq python3-protobuf protobuf-compiler (Debian) and re-run" >&2
  exit 1
fi
echo "installing peers (python3-zmq python3-protobuf protobuf-compiler libzmq3-dev iproute2) with apt-get…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends python3-zmq python3-protobuf protobuf-compiler libzmq3-dev iproute2 >/dev/null
have_required
