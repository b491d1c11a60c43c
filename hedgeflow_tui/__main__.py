from hedgeflow_tui.cli import run

raise SystemExit(run())
