"""CPU seconds a local PostgreSQL server spent for one database: the sum of utime + stime of
its live backends (/proc/<pid>/stat, processes titled `postgres: ... <database> ...`).

Wall-clock rows/s move with the machine's load; the CPU the server's backends used does not.
Read it before and after a run on connections that stay open (a pooled engine, not yet
disposed): an exited backend's time is lost. 0.0 where /proc is not readable (another host).
"""
import os

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def backend_cpu(database):
    """CPU seconds of the live backends connected to `database` (0.0 when none are seen)."""
    total = 0
    try:
        pids = [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as stream:
                title = stream.read().replace(b"\0", b" ").decode("utf-8", "replace")
            if not title.startswith("postgres: ") or f" {database} " not in title:
                continue
            with open(f"/proc/{pid}/stat") as stream:
                fields = stream.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / TICKS
