#!/usr/bin/env bash
# A real SCIM 2.0 server for the live-load tests: scim2-server (an in-memory
# SCIM server from PyPI), pinned, in a virtual environment under
# target/scim-venv created once.
#
#   scripts/scim-server.sh setup          create the venv (idempotent); prints its scim2-server path
#   scripts/scim-server.sh start PIDFILE  start a server on a free 127.0.0.1 port; prints the port
#                                         once it answers, writes the server's pid to PIDFILE
set -euo pipefail

SCIM2_SERVER_VERSION=0.8.3
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${UNBINDSIM_SCIM_VENV:-$root/target/scim-venv}"
server="$venv/bin/scim2-server"

setup() {
  if [[ -x "$server" ]] && "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('scim2-server') != '$SCIM2_SERVER_VERSION')" 2>/dev/null; then
    echo "$server"
    return
  fi
  command -v python3 >/dev/null || { echo "scim-server.sh: python3 is needed to run the SCIM test server" >&2; exit 1; }
  mkdir -p "$(dirname "$venv")"
  # Concurrent test processes may race to create it: one lock.
  exec 9>"$venv.lock"
  flock 9
  if [[ ! -x "$server" ]]; then
    python3 -m venv "$venv" >&2 || { echo "scim-server.sh: python3 -m venv failed (on Debian: apt-get install python3-venv)" >&2; exit 1; }
    "$venv/bin/pip" install --quiet --disable-pip-version-check "scim2-server==$SCIM2_SERVER_VERSION" >&2 \
      || { echo "scim-server.sh: pip install scim2-server==$SCIM2_SERVER_VERSION failed" >&2; exit 1; }
  fi
  echo "$server"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  local pidfile="$1"
  setup >/dev/null
  local port
  for _ in 1 2 3 4 5; do
    port="$(free_port)"
    "$server" --hostname 127.0.0.1 --port "$port" >"$pidfile.log" 2>&1 &
    local pid=$!
    echo "$pid" >"$pidfile"
    for _ in $(seq 1 100); do
      if python3 -c "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:$port/v2/ServiceProviderConfig', timeout=1)" 2>/dev/null; then
        echo "$port"
        return
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
  done
  echo "scim-server.sh: scim2-server did not start; its log:" >&2
  cat "$pidfile.log" >&2 || true
  exit 1
}

case "${1:-}" in
  setup) setup ;;
  start) start "${2:?usage: scim-server.sh start PIDFILE}" ;;
  *) echo "usage: scim-server.sh setup | start PIDFILE" >&2; exit 2 ;;
esac
