"""The command line. `run` is the command's entry point."""

import signal


def run() -> int:
    """`hedgeflow-tui`: a Ctrl-C while the modules load ends it as it would later (status 130,
    no traceback)."""
    try:
        from hedgeflow_tui.cli.main import main
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    return main()
