from hedgeflow_tui.cli import main

raise SystemExit(main())
