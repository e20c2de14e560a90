#!/usr/bin/env bash
# Quick side-by-side figures while designing (packages/bench has the full suite). Holds the bench lock.
#   bash scripts/quick-compare.sh [window] [duration-ms] [handler]
# Each line: one server kind, the same load client (scripts/load.mjs, a separate process).
set -euo pipefail
cd "$(dirname "$0")/.."
WINDOW=${1:-100}
DURATION=${2:-4000}
HANDLER=${3:-ping}
PORT=${PORT:-5591}
EP="tcp://127.0.0.1:$PORT"

measure() { # label, server command...
  local label=$1; shift
  # 9>&-: the server must not inherit the lock's descriptor, or a server left behind holds the lock forever.
  "$@" >/tmp/zpb-quick-server.log 2>&1 9>&- &
  local pid=$!
  trap 'kill -TERM "$pid" 2>/dev/null' EXIT
  for _ in $(seq 1 100); do
    node -e "const z=require('zeromq');const s=new z.Request({linger:0,receiveTimeout:200});s.connect('$EP');s.send(Buffer.from([10,2,8,1])).then(()=>s.receive()).then(()=>process.exit(0),()=>process.exit(1))" && break
    sleep 0.1
  done
  printf '%-28s ' "$label"
  node scripts/load.mjs --endpoint "$EP" --window "$WINDOW" --duration "$DURATION"
  kill -TERM "$pid"; wait "$pid" || true
}

exec 9>/tmp/zpb-bench.lock
flock 9
if [ "$HANDLER" = ping ]; then measure "plain ROUTER (1 thread)" node scripts/plain-router.mjs "$EP"
else measure "plain ROUTER (1 thread)" node scripts/plain-router.mjs "$EP" "$HANDLER"; fi
measure "pool proxy, 1 worker" node dist/cli.js --bind "$EP" --no-echo --workers 1 --handler "$HANDLER" --stats-interval 0
measure "pool proxy, 2 workers" node dist/cli.js --bind "$EP" --no-echo --workers 2 --handler "$HANDLER" --stats-interval 0
measure "pool js-forward, 2 workers" node dist/cli.js --bind "$EP" --no-echo --workers 2 --handler "$HANDLER" --forwarder js --stats-interval 0
