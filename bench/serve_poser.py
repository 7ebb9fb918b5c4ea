"""What `pserve INI` does, on a port this process binds itself (0: any free one).

  POSER_DATABASE_URL=URL python bench/serve_poser.py [--ini development.ini] [--port 0] [--threads 4]

Prints `PORT n` once the socket is listening, then serves with waitress.
"""
import argparse
import logging
import socket
import sys

import waitress
from pyramid.paster import get_app


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ini", default="development.ini")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    # The ini's per-request DEBUG logging would measure the terminal, not the app.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    app = get_app(args.ini, "main")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(1024)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    waitress.serve(app, sockets=[sock], threads=args.threads, ident="poser_web")


if __name__ == "__main__":
    main()
