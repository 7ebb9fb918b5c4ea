"""What `pserve INI` does, on a port this process binds itself (0: any free one).

  POSER_DATABASE_URL=URL python bench/serve_poser.py [--ini development.ini] [--port 0] [--threads 4]
      [--runners auto|N|waitress]

Prints `PORT n` once the socket is listening, then serves as the ini's [server:main] does
(poser_web/web/server.py: waitress with its runners and slow_request_ms) with `--threads`
threads. `--runners` overrides the ini's; `waitress` serves with waitress's own dispatcher
(every thread runs at once), for comparison.
"""
import argparse
import logging
import socket
import sys

import plaster
import waitress
from pyramid.paster import get_app

from poser_web.web import server


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ini", default="development.ini")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--runners", help="auto, a number, or waitress (its own dispatcher)")
    ap.add_argument("--slow-request-ms", help="overrides the ini's slow_request_ms")
    args = ap.parse_args()
    # The ini's per-request DEBUG logging would measure the terminal, not the app.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    app = get_app(args.ini, "main")
    ini_server = plaster.get_settings(args.ini, "server:main")
    settings = {"threads": args.threads, "ident": "poser_web"}
    for name in ("runners", "slow_request_ms"):
        if name in ini_server:
            settings[name] = ini_server[name]
    if args.runners:
        settings["runners"] = args.runners
    if args.slow_request_ms:
        settings["slow_request_ms"] = args.slow_request_ms
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(1024)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    if settings.get("runners") == "waitress":
        for name in ("runners", "slow_request_ms"):
            settings.pop(name, None)
        waitress.serve(app, sockets=[sock], **settings)
    else:
        server.serve(app, sockets=[sock], **settings)


if __name__ == "__main__":
    main()
