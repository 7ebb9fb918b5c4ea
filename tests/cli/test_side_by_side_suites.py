"""`make test` runs the suite on both databases side by side (scripts/test-both): both at
once, each line marked with its database, and a failure of either fails the whole."""
import subprocess
import sys
import textwrap

from tests.databases import REPO

# A stand-in for pytest: `--db NAME` is its first argument, as scripts/test-both passes it.
FAKE_PYTEST = textwrap.dedent("""\
    import pathlib, sys, time
    db, here = sys.argv[2], pathlib.Path(sys.argv[0]).parent
    other = {"sqlite": "postgresql", "postgresql": "sqlite"}[db]
    (here / f"{db}.started").touch()
    if "--together" in sys.argv:  # only passes when the other run has started meanwhile
        deadline = time.monotonic() + 20
        while not (here / f"{other}.started").exists():
            if time.monotonic() > deadline:
                print(f"{db}: the {other} run never started beside me")
                sys.exit(1)
            time.sleep(0.01)
    print(f"{db} ran with {' '.join(sys.argv[3:])}")
    failing = "--fail=" + db in sys.argv
    print(f"1 {'failed' if failing else 'passed'} in 0.01s")
    sys.exit(1 if failing else 0)
    """)


def run_both(tmp_path, *options):
    fake = tmp_path / "fake_pytest.py"
    fake.write_text(FAKE_PYTEST)
    launcher = tmp_path / "pytest"
    launcher.write_text(f'#!/bin/sh\nexec {sys.executable} {fake} "$@"\n')
    launcher.chmod(0o755)
    return subprocess.run(["bash", str(REPO / "scripts" / "test-both"), str(launcher), *options],
                          check=False, capture_output=True, text=True, timeout=60)


def test_both_suites_run_at_once_with_their_lines_marked(tmp_path):
    done = run_both(tmp_path, "--together", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "[sqlite] sqlite ran with --together -q" in lines
    assert "[postgresql] postgresql ran with --together -q" in lines
    # Both summaries close the output, whatever order the runs ended in.
    assert lines[-2:] == ["== sqlite: 1 passed in 0.01s", "== postgresql: 1 passed in 0.01s"]


def test_either_suite_failing_fails_the_whole_and_says_which(tmp_path):
    for failing, passing in (("postgresql", "sqlite"), ("sqlite", "postgresql")):
        done = run_both(tmp_path, f"--fail={failing}")
        assert done.returncode == 1, done.stdout
        assert f"== {failing}: the suite FAILED (pytest exit status 1)" in done.stdout
        assert f"== {passing}: 1 passed in 0.01s" in done.stdout
        assert f"== {passing}: the suite FAILED" not in done.stdout
