"""Mutation testing of the modules that guard data and security (issue 22): `make mutation`.

cosmic-ray (its own virtualenv, .venv-mutation: the app's stays untouched) puts one small
bug at a time into each module below, in a scratch copy of the tree (so work goes on here
meanwhile), and runs only the tests that cover that module, on SQLite. A mutant the tests
let pass "survives". Prints the score per module; `--keep DIR` keeps the sessions to read
the survivors with `cr-report DIR/<name>.sqlite --show-diff`.

Only the mutations a person makes are tried (mutation/operators.toml): an off-by-one
comparison, an inverted condition, and/or swapped, a constant changed, a loop skipped —
not every operator for every other (x - y as x >> y), which any test kills and which would
triple the run. Usage: python mutation/run.py [--keep DIR] [name ...]
"""
import argparse
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / ".venv-mutation" / "bin"
# -x: the first failure kills the mutant; no cache, no random order, no plugin not needed.
PYTEST = (f"{sys.executable} -m pytest -x -q -p no:cacheprovider -p no:randomly "
          "-p no:hypothesispytest -p no:warnings")

# name: (module, the tests that cover it[, the databases they run on: SQLite alone if not said])
MODULES = {
    # PostgreSQL too: the login lock is an advisory lock there (a key that must fit a bigint).
    "throttle": ("poser_web/auth/throttle.py",
                 "tests/auth/test_throttle_timing.py tests/auth/test_login_throttle.py",
                 ("sqlite", "postgresql")),
    "input_guard": ("poser_web/web/input_guard.py",
                    ("tests/web/test_input_guard_messages.py tests/web/test_bad_input.py "
                    "tests/web/test_body_limits.py")),
    "versioning": ("poser_web/models/versioning.py",
                   ("tests/models/test_version_bumps.py tests/views/test_conflicts.py "
                   "tests/views/test_specimen_history.py")),
    "batch_store": ("poser_web/batch/store.py",
                    ("tests/batch/test_batch_store.py tests/batch/test_batches.py "
                    "tests/web/test_body_limits.py")),
    "security": ("poser_web/auth/security.py",
                 ("tests/auth/test_security_policy.py tests/auth/test_auth.py "
                 "tests/web/test_hardening.py tests/web/test_hosts.py")),
}


def test_command(tests, databases=("sqlite",)):
    """One pytest run per database, the next only if the one before passed."""
    runs = [f"{PYTEST} --db {db} {tests}" for db in databases]
    return runs[0] if len(runs) == 1 else f"bash -c '{' && '.join(runs)}'"


def config(module, command, path):
    operators = (REPO / "mutation" / "operators.toml").read_text()
    path.write_text(f'[cosmic-ray]\nmodule-path = "{module}"\ntimeout = 120.0\n'
                    f'excluded-modules = []\ntest-command = "{command}"\n'
                    f'[cosmic-ray.distributor]\nname = "local"\n{operators}')


def score(session):
    with sqlite3.connect(session) as db:
        outcomes = dict(db.execute("SELECT lower(test_outcome), count(*) FROM work_results "
                                   "WHERE lower(worker_outcome) = 'normal' GROUP BY 1"))
    killed, survived = outcomes.get("killed", 0), outcomes.get("survived", 0)
    return killed, survived


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=list(MODULES))
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="poser-mutation-"))
    tree = scratch / "tree"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, tree / name)
    # The tests copy one database migrated here, before any mutant, instead of migrating
    # again for each mutant (tests/databases.py: most of a short run's set-up).
    template = scratch / "template.sqlite"
    env = dict(os.environ, PYTHONPATH=str(tree), POSER_TEST_SQLITE_TEMPLATE=str(template))
    subprocess.run([sys.executable, "-c", ("import sys; from tests.databases import build_template; "
                    "build_template(sys.argv[1])"), template], cwd=tree, env=env, check=True)
    sessions = args.keep or scratch
    sessions.mkdir(parents=True, exist_ok=True)
    for name in args.names:
        module, *tests = MODULES[name]
        command = test_command(*tests)
        toml, session = scratch / f"{name}.toml", sessions / f"{name}.sqlite"
        session.unlink(missing_ok=True)
        config(module, command, toml)
        # The tests must pass unmutated, else every mutant would count as killed.
        subprocess.run(shlex.split(command), cwd=tree, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        for step in (["cosmic-ray", "init", toml, session],
                     ["cr-filter-operators", session, toml],
                     ["cosmic-ray", "exec", toml, session]):
            subprocess.run([TOOLS / step[0], *map(str, step[1:])], cwd=tree, env=env, check=True,
                           stdout=subprocess.DEVNULL)
        killed, survived = score(session)
        total = killed + survived
        print(f"{name:12} {module:34} {killed}/{total} killed "
              f"({100 * killed / total if total else 0:.0f} %)", flush=True)
    if not args.keep:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
