#!/usr/bin/env python3
"""A small in-memory SCIM 2.0 server for the live fault tests (Python
standard library only), listening on a free loopback port that it prints
on its first line of stdout.

It serves what `unbindsim load` uses: /ServiceProviderConfig (patch and
filter supported, maxResults 50, no bulk), /Users and /Groups with
`userName sw`, `displayName sw` and `active eq true and ...` filters and
startIndex/count paging, POST, PATCH (replace active) and DELETE.

Faults, each on one kind of request (checked in the order listed: a
request that gets one is not counted by the later ones) (config, list-users, list-active,
list-groups, post-users, post-groups, patch, delete; list-users is every
user listing without `active eq true`):

  --fault KIND=N*STATUS[:RETRY]  the first N such requests get STATUS,
                                 with Retry-After RETRY seconds, or an HTTP
                                 date one second ahead when RETRY is `date`
  --slow KIND=N*SECONDS          the first N are served (the change made)
                                 and answered only SECONDS later
  --malformed KIND=N             the first N get 200 with a broken JSON body
  --reset KIND=N                 the first N are served (the change made),
                                 then the connection is closed mid-response
  --lie KIND                     answer success and change nothing
  --total-offset K               report totalResults K lower than the truth
  --stop-after KIND=N            after answering the N-th such request the
                                 server goes away: it stops listening and
                                 exits, so later connections are refused
"""

import argparse
import email.utils
import json
import os
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

MAX_RESULTS = 50
LOCK = threading.Lock()
USERS = {}
GROUPS = {}
SEEN = {}
ARGS = None


def counted(rules, kind):
    """The rule for this request of `kind` if it is among the first N."""
    rule = rules.get(kind)
    if rule is None:
        return None
    with LOCK:
        SEEN[(id(rules), kind)] = SEEN.get((id(rules), kind), 0) + 1
        return rule if SEEN[(id(rules), kind)] <= rule[0] else None


def parse_rules(items, value_kind):
    rules = {}
    for item in items or []:
        kind, spec = item.split("=", 1)
        count, _, rest = spec.partition("*")
        rules[kind] = (int(count), value_kind(rest) if rest else None)
    return rules


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=None, headers=()):
        time.sleep(getattr(self, "delay", 0.0))
        if getattr(self, "reset", False):
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"partial")
            self.wfile.flush()
            self.close_connection = True
            return
        data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        self.send_response(status)
        self.send_header("Content-Type", "application/scim+json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def kind(self, method, path, query):
        if path.endswith("/ServiceProviderConfig"):
            return "config"
        if method == "GET" and path.endswith("/Groups"):
            return "list-groups"
        if method == "GET" and path.endswith("/Users"):
            active = "active eq true" in query.get("filter", [""])[0]
            return "list-active" if active else "list-users"
        if method == "POST":
            return "post-groups" if path.endswith("/Groups") else "post-users"
        return method.lower()

    def faulted(self, kind):
        """Answers with a fault and returns True, or returns False."""
        self.delay, self.reset = 0.0, False
        fault = counted(ARGS.fault, kind)
        if fault:
            status, _, retry = fault[1].partition(":")
            headers = []
            if retry == "date":
                headers.append(("Retry-After", email.utils.formatdate(time.time() + 1, usegmt=True)))
            elif retry:
                headers.append(("Retry-After", retry))
            self.reply(int(status), {"status": status}, headers)
            return True
        if counted(ARGS.malformed, kind):
            self.reply(200, b'{"Resources": [{"userName": ')
            return True
        self.reset = counted(ARGS.reset, kind) is not None
        slow = None if self.reset else counted(ARGS.slow, kind)
        self.delay = slow[1] if slow else 0.0
        return False

    def handle_any(self, method):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        body = self.body() if method in ("POST", "PATCH") else None
        kind = self.kind(method, url.path, query)
        if self.faulted(kind):
            return
        lie = kind in (ARGS.lie or [])
        if kind == "config":
            self.reply(200, {
                "patch": {"supported": True},
                "bulk": {"supported": False},
                "filter": {"supported": True, "maxResults": MAX_RESULTS},
            })
        elif kind.startswith("list-"):
            self.list(kind, query)
        elif kind.startswith("post-"):
            self.create(USERS if kind == "post-users" else GROUPS, body, lie)
        else:
            self.change(method, url.path.rsplit("/", 1)[-1], body, lie)
        self.maybe_stop(kind)

    def maybe_stop(self, kind):
        """Goes away after the N-th request of `kind` under --stop-after."""
        rule = ARGS.stop_after.get(kind)
        if rule is None:
            return
        with LOCK:
            SEEN[("stop", kind)] = SEEN.get(("stop", kind), 0) + 1
            if SEEN[("stop", kind)] >= rule[0]:
                self.wfile.flush()
                os._exit(0)

    def list(self, kind, query):
        text = query.get("filter", [""])[0]
        prefix = re.search(r'(?:userName|displayName) sw "([^"]*)"', text)
        prefix = prefix.group(1) if prefix else ""
        store, key = (GROUPS, "displayName") if kind == "list-groups" else (USERS, "userName")
        with LOCK:
            found = [r for r in store.values() if r[key].startswith(prefix)]
            if kind == "list-active":
                found = [r for r in found if r.get("active", True)]
        found.sort(key=lambda r: r[key])
        start = max(int(query.get("startIndex", ["1"])[0]), 1)
        count = min(int(query.get("count", [str(MAX_RESULTS)])[0]), MAX_RESULTS)
        page = found[start - 1:start - 1 + count]
        total = max(len(found) - ARGS.total_offset, 0)
        self.reply(200, {"totalResults": total, "startIndex": start, "itemsPerPage": len(page), "Resources": page})

    def create(self, store, body, lie):
        key = "userName" if "userName" in body else "displayName"
        resource = dict(body, id=str(uuid.uuid4()))
        with LOCK:
            if any(r.get(key) == body.get(key) for r in store.values()):
                self.reply(409, {"status": "409"})
                return
            if not lie:
                store[resource["id"]] = resource
        self.reply(201, resource)

    def change(self, method, user_id, body, lie):
        with LOCK:
            user = USERS.get(user_id)
            if user is None:
                self.reply(404, {"status": "404"})
                return
            if lie:
                pass
            elif method == "DELETE":
                del USERS[user_id]
            else:
                for operation in body.get("Operations", []):
                    if operation.get("path") == "active":
                        user["active"] = operation.get("value")
        self.reply(204 if method == "DELETE" else 200, None if method == "DELETE" else user)

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_DELETE(self):
        self.handle_any("DELETE")


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fault", action="append")
    parser.add_argument("--slow", action="append")
    parser.add_argument("--malformed", action="append")
    parser.add_argument("--reset", action="append")
    parser.add_argument("--lie", action="append")
    parser.add_argument("--total-offset", type=int, default=0)
    parser.add_argument("--stop-after", action="append")
    ARGS = parser.parse_args()
    ARGS.fault = parse_rules(ARGS.fault, str)
    ARGS.slow = parse_rules(ARGS.slow, float)
    ARGS.malformed = parse_rules(ARGS.malformed, str)
    ARGS.reset = parse_rules(ARGS.reset, str)
    ARGS.stop_after = parse_rules(ARGS.stop_after, str)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
