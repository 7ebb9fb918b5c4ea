"""Developer tools: package data declared, `make install` only when setup.py changed,
`make run`'s server stopped by Ctrl-C with status 0."""
import fnmatch
import os
import pty
import runpy
import select
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

from tests.databases import REPO


def setup_kwargs():
    with mock.patch("setuptools.setup") as setup:
        cwd = os.getcwd()
        os.chdir(REPO)
        try:
            runpy.run_path(str(REPO / "setup.py"))
        finally:
            os.chdir(cwd)
    return setup.call_args.kwargs


def test_every_data_file_is_package_data():
    """Each template, asset and scaffold template installs, and its directory is declared
    (setuptools warns about, and will drop, data in undeclared directories)."""
    kwargs = setup_kwargs()
    packages, globs = set(kwargs["packages"]), kwargs["package_data"][""]
    listed = subprocess.run(["git", "ls-files", "poser_web"], cwd=REPO, capture_output=True,
                            text=True, check=True).stdout.split()
    data = [Path(p) for p in listed if not p.endswith(".py")]
    assert data
    for path in data:
        assert ".".join(path.parent.parts) in packages, path
        assert any(fnmatch.fnmatch(path.name, glob) for glob in globs), path
    assert not [p for p in packages if "__pycache__" in p or not p.startswith("poser_web")]


def make(tmp_path, *args):
    return subprocess.run(["make", "-s", "-f", str(REPO / "Makefile"), "-C", str(tmp_path),
                           "VENV=venv", *args], capture_output=True, check=False, text=True)


def test_make_installs_only_when_setup_py_changed(tmp_path):
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "venv" / "bin" / "python").write_text("")
    (tmp_path / "setup.py").write_text("")
    stamp = tmp_path / "venv" / ".installed"
    stamp.write_text("")
    now = time.time()
    os.utime(tmp_path / "setup.py", (now - 60, now - 60))
    assert make(tmp_path, "-q", "install").returncode == 0  # up to date: pip would not run
    os.utime(tmp_path / "setup.py", (now + 60, now + 60))
    assert make(tmp_path, "-q", "install").returncode == 1  # setup.py changed: it would
    dry = make(tmp_path, "-n", "install").stdout
    assert "pip --quiet --disable-pip-version-check install -e ." in dry
    assert "Installing poser-web" in dry


def run_in_terminal(command, interrupt_after=None, timeout=20):
    """Run `command` on a pseudo-terminal, press Ctrl-C after `interrupt_after` seconds
    (once it printed something); returns (output, exit status)."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        # As from a developer's terminal: a suite started in the background (`cmd &`) runs
        # with SIGINT ignored, which exec passes on, and Ctrl-C would then stop nothing.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execvp(command[0], command)
    output, deadline, interrupted = b"", time.time() + timeout, False
    started = time.time()
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        if (interrupt_after is not None and not interrupted and output
                and time.time() - started > interrupt_after):
            os.write(fd, b"\x03")
            interrupted = True
    _, status = os.waitpid(pid, 0)
    return output.decode(errors="replace"), os.waitstatus_to_exitcode(status)


SERVER = [sys.executable, "-c", "import time; print('serving', flush=True); time.sleep(60)"]


def test_ctrl_c_stops_the_server_and_make_run_succeeds(tmp_path):
    makefile = tmp_path / "Makefile"
    makefile.write_text(f"run:\n\t@bash {REPO / 'scripts' / 'serve'} "
                        + shlex.join(SERVER) + "\n")
    output, status = run_in_terminal(["make", "-f", str(makefile), "run"], interrupt_after=1)
    assert status == 0, output
    assert "Server stopped." in output and "make: ***" not in output


def test_a_server_that_fails_still_fails():
    output, status = run_in_terminal(
        ["bash", str(REPO / "scripts" / "serve"), sys.executable, "-c", "raise SystemExit(3)"])
    assert status == 3, output
