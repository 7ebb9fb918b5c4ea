"""Markdown output: the machine a run was on, tables, and BENCHMARKS.md sections."""
import datetime
import os
import platform
import re
import sqlite3
from pathlib import Path

HEADER = "# poser_web benchmarks\n\nWritten by `bench/run.py` and `bench/resilience.py` (see bench/README.md).\n"


def python_speed_ms():
    """Milliseconds of one fixed piece of pure-Python work (dict look-ups, calls, formatting),
    best of 5: machines here differ up to 3x in it, which moves every absolute figure (rows/s,
    req/s) while the ratios against the peer move much less."""
    import time

    def work():
        table = {f"k{i}": i for i in range(2000)}
        total = 0
        for _ in range(20):
            for i in range(2000):
                total += table[f"k{i}"]
        return total

    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best * 1000


def machine(pg_version=None, peer=None):
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    lines = [
        f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {cpu}, {os.cpu_count()} cores, {ram} RAM, {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
        + (f", {pg_version}" if pg_version else ""),
        f"- Python speed: {python_speed_ms():.1f} ms for bench/report.py's fixed work "
        "(lower is faster; compare absolute figures across machines with it)",
    ]
    try:
        lines.append("- load average (1/5/15 min) when written: " + " / ".join(f"{x:.1f}" for x in os.getloadavg()))
    except OSError:
        pass
    if peer:
        lines.append(f"- peer: {peer}")
    return "\n".join(lines)


def load_average():
    """'0.12 / 0.30 / 0.41': a figure taken on a loaded machine is not a figure."""
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def num(value, digits=1):
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def ratio(a, b):
    if not a or not b:
        return "n/a"
    return f"{a / b:.2f}×"


def table(headers, rows):
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
    return "\n".join(out)


def write_section(path, name, body):
    """Replace (or append) the section `name` of the markdown file at `path`."""
    path = Path(path)
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}\n"
    text = path.read_text() if path.exists() else HEADER
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text)
