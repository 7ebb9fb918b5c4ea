"""Peak resident memory of this process per phase (Linux): `VmHWM` of /proc/self/status,
reset between phases through /proc/self/clear_refs ("5": reset the peak to the current RSS)."""
import resource


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass  # not Linux: peak_mb() is then the process's peak so far


def peak_mb():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def widgets_for(args):
    """--rows N (file rows) as a number of widgets of args.components components each."""
    return args.rows // (1 + args.components) if args.rows else args.widgets
