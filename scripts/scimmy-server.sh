#!/usr/bin/env bash
# The second SCIM 2.0 server of the live-load tests: SCIMMY with its Express
# routers (npm), pinned by tests/scimmy/package-lock.json, installed once
# with `npm ci` under target/scimmy and run by tests/scimmy/server.mjs.
#
#   scripts/scimmy-server.sh setup          install (idempotent); prints the install folder
#   scripts/scimmy-server.sh start PIDFILE  start a server on a free 127.0.0.1 port; prints the port
#                                           once it answers, writes the server's pid to PIDFILE
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
source_dir="$root/tests/scimmy"
install="${UNBINDSIM_SCIMMY_DIR:-$root/target/scimmy}"

setup() {
  command -v node >/dev/null && command -v npm >/dev/null \
    || { echo "scimmy-server.sh: node and npm are needed to run the SCIMMY test server" >&2; exit 1; }
  mkdir -p "$install"
  # Concurrent test processes may race to install it: one lock.
  exec 9>"$install.lock"
  flock 9
  if ! cmp -s "$source_dir/package-lock.json" "$install/package-lock.json" || [[ ! -d "$install/node_modules/scimmy-routers" ]]; then
    cp "$source_dir/package.json" "$source_dir/package-lock.json" "$install/"
    (cd "$install" && npm ci --no-audit --no-fund --loglevel=error >&2) \
      || { echo "scimmy-server.sh: npm ci of tests/scimmy failed" >&2; exit 1; }
  fi
  # The script sits beside its node_modules, where Node resolves its imports.
  cp "$source_dir/server.mjs" "$install/server.mjs"
  echo "$install"
}

start() {
  local pidfile="$1"
  setup >/dev/null
  node "$install/server.mjs" 0 >"$pidfile.port" 2>"$pidfile.log" &
  local pid=$!
  echo "$pid" >"$pidfile"
  for _ in $(seq 1 100); do
    local port
    port="$(head -n 1 "$pidfile.port" 2>/dev/null || true)"
    if [[ -n "$port" ]] && python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/v2/ServiceProviderConfig', timeout=1)" 2>/dev/null; then
      echo "$port"
      return
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  echo "scimmy-server.sh: the SCIMMY server did not start; its log:" >&2
  cat "$pidfile.log" >&2 || true
  exit 1
}

case "${1:-}" in
  setup) setup ;;
  start) start "${2:?usage: scimmy-server.sh start PIDFILE}" ;;
  *) echo "usage: scimmy-server.sh setup | start PIDFILE" >&2; exit 2 ;;
esac
