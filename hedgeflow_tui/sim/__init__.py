"""The built-in 0DTE market simulator and the FlashAlpha-shaped API it serves."""

from hedgeflow_tui.sim.app import PLANS, SimConfig, create_app
from hedgeflow_tui.sim.faults import ALL_FAULTS
from hedgeflow_tui.sim.market import SYMBOLS, SessionPath, simulate_session
from hedgeflow_tui.sim.session import DEFAULT_START, DEMO_SPEED, default_session_date, sim_clock

__all__ = [
    "ALL_FAULTS",
    "DEFAULT_START",
    "DEMO_SPEED",
    "PLANS",
    "SYMBOLS",
    "SessionPath",
    "SimConfig",
    "create_app",
    "default_session_date",
    "sim_clock",
    "simulate_session",
]
