"""Chameleon, made safe to compile templates from several threads at once.

Python 3.11's AST parser has a data race (CPython gh-106905): two waitress
threads compiling templates at the same moment can fail with "AST
constructor recursion depth mismatch" — a 500 on the first requests after a
start. Chameleon compiles each template once, on first use, so serializing
that step costs nothing afterwards.
"""
import sys
import threading

from chameleon.template import BaseTemplate

_compile_lock = threading.RLock()


def serialize_template_compilation():
    if sys.version_info >= (3, 12) or getattr(BaseTemplate._cook, "_poser_locked", False):
        return
    original = BaseTemplate._cook

    def _cook(self, *args, **kwargs):
        with _compile_lock:
            return original(self, *args, **kwargs)

    _cook._poser_locked = True
    BaseTemplate._cook = _cook


def includeme(config):
    serialize_template_compilation()
    config.include("pyramid_chameleon")
