"""hedgeflow-tui: a terminal dashboard of 0DTE dealer hedge flow."""

__version__ = "0.1.0"
