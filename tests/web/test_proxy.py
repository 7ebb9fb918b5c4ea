"""Behind a reverse proxy: production.ini and docs/production.md's nginx example agree, and a
real waitress serving production.ini takes each client's address from the proxy alone.

Issue 19: without trusted_proxy every client shared the proxy's address, so twenty failed
logins from anyone made the administrator's correct login a 429.
"""
import http.client
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from configparser import ConfigParser
from http.cookies import SimpleCookie

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from poser_web.auth import throttle
from poser_web.auth.passwords import hash_password
from poser_web.models import Role, User
from tests.databases import REPO, migrate

PASSWORD = "proxied tests only, never deployed"
# Starts a real server (like the tests in conftest.SLOW_PLACES): a time limit to match.
pytestmark = pytest.mark.timeout(300)
STARTUP_LIMIT = 60.0
PROXY, OTHER_LOCAL = "127.0.0.1", "127.0.0.2"  # Linux answers on all of 127/8


def server_section():
    parser = ConfigParser(interpolation=None)
    parser.read(REPO / "production.ini")
    return parser["server:main"]


def nginx_example():
    text = (REPO / "docs" / "production.md").read_text()
    return re.search(r"```nginx\n(.*?)```", text, re.DOTALL).group(1)


def test_the_docs_proxy_example_agrees_with_production_ini():
    server, nginx = server_section(), nginx_example()
    proxied_to = re.search(r"proxy_pass http://([\d.]+):(\d+);", nginx).groups()
    assert server["listen"] == ":".join(proxied_to)
    # nginx connects from the loopback address to the loopback address it proxies to.
    assert server["trusted_proxy"] == proxied_to[0] == PROXY
    assert server["trusted_proxy_count"] == "1"
    assert server["clear_untrusted_proxy_headers"] == "true"
    forwarded = dict(re.findall(r"proxy_set_header (X-Forwarded-[\w-]+) (\S+);", nginx))
    # One address, the one nginx saw: what trusted_proxy_count = 1 takes.
    assert forwarded == {"X-Forwarded-For": "$remote_addr", "X-Forwarded-Proto": "$scheme"}
    assert set(server["trusted_proxy_headers"].split()) == {h.lower() for h in forwarded}
    body_cap = int(re.search(r"client_max_body_size (\d+)m;", nginx).group(1)) << 20
    assert body_cap <= int(server["max_request_body_size"])


def free_port():
    with socket.socket() as probe:
        probe.bind((PROXY, 0))
        return probe.getsockname()[1]


class Browser:
    """One client's cookies, sending through the proxy (as `forwarded_for`) or from elsewhere."""

    def __init__(self, port, source=PROXY, forwarded_for=None):
        self.port, self.source, self.forwarded_for = port, source, forwarded_for
        self.cookies = {}

    def request(self, method, path, fields=None):
        connection = http.client.HTTPConnection(PROXY, self.port, timeout=30,
                                                source_address=(self.source, 0))
        # As nginx forwards a browser's request: HTTPS, so Pyramid checks its Origin too.
        headers = {"Host": "admin.example.com", "X-Forwarded-Proto": "https",
                   "Origin": "https://admin.example.com"}
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, text

    def log_in(self, username, password):
        status, page = self.request("GET", "/login")
        assert status == 200, page[-500:]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return self.request("POST", "/login", {"csrf_token": token, "username": username,
                                               "password": password})[0]


@pytest.fixture(scope="module")
def served(scratch_databases, tmp_path_factory):
    """pserve production.ini — as shipped, but for its port — on a database of its own."""
    url = scratch_databases.create()
    migrate(url)
    engine = create_engine(url)
    with Session(engine) as db, db.begin():
        db.add(User(username="admin", password_hash=hash_password(PASSWORD),
                    roles=[Role(name="Administrator", grants_all=True)]))
    engine.dispose()
    tmp = tmp_path_factory.mktemp("proxied")
    port = free_port()
    ini = tmp / "production.ini"
    ini.write_text((REPO / "production.ini").read_text().replace(
        "listen = 127.0.0.1:6543", f"listen = {PROXY}:{port}"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSER_")}
    env.update(POSER_DATABASE_URL=url, POSER_SECRET="p" * 48, POSER_BATCH_DIR=str(tmp),
               POSER_BASE_URL="https://admin.example.com")
    log = tmp / "pserve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "pyramid.scripts.pserve", str(ini)],
                                   cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_LIMIT
        while True:
            try:
                if Browser(port).request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def test_guesses_by_one_client_do_not_lock_out_another_behind_the_proxy(served):
    attacker = Browser(served, forwarded_for="203.0.113.66")
    for i in range(throttle.MAX_FAILURES_PER_ADDRESS):
        assert attacker.log_in(f"guess-{i}", "wrong") == 401
    assert attacker.log_in("admin", PASSWORD) == 429  # that client is blocked...
    assert Browser(served, forwarded_for="198.51.100.7").log_in("admin", PASSWORD) == 303


def test_a_client_that_is_not_the_proxy_cannot_claim_an_address(served):
    """Connecting past the proxy (from 127.0.0.2), X-Forwarded-For is dropped: every guess
    counts against the address it really came from."""
    for i in range(throttle.MAX_FAILURES_PER_ADDRESS):
        sneaky = Browser(served, source=OTHER_LOCAL, forwarded_for=f"198.51.100.{i + 10}")
        assert sneaky.log_in(f"guess-{i}", "wrong") == 401
    claimed = Browser(served, source=OTHER_LOCAL, forwarded_for="198.51.100.200")
    assert claimed.log_in("admin", PASSWORD) == 429
