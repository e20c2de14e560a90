#!/usr/bin/env bash
# Installs the peers we did not write, used by the interop tests: Debian's pyzmq, python protobuf and
# protoc (Python code is generated from our .proto at test time). Idempotent and quiet when present.
set -euo pipefail

have_peers() {
  /usr/bin/python3 -c 'import zmq, google.protobuf' >/dev/null 2>&1 && command -v protoc >/dev/null 2>&1 && [ -f /usr/include/zmq.h ]
}

have_peers && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "interop peers missing: install python3-zmq python3-protobuf protobuf-compiler libzmq3-dev (Debian) and re-run" >&2
  exit 1
fi
echo "installing interop peers (python3-zmq python3-protobuf protobuf-compiler libzmq3-dev) with apt-get…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends python3-zmq python3-protobuf protobuf-compiler libzmq3-dev >/dev/null
have_peers
