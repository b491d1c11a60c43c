"""hedgeflow-tui: a terminal dashboard of 0DTE dealer hedge flow."""

import os

__version__ = "0.1.0"

# The simulator's arrays hold ~80 strikes, too few for OpenBLAS's threads to ever help, and
# starting their pool when numpy is first imported delays the first frame with data
# (bench/startup.py measures it). A setting of the user's own wins, and a command run
# for the user (`--alert-cmd`) gets the user's environment back: OWN_ENV names what we added.
OWN_ENV: tuple[str, ...] = () if "OPENBLAS_NUM_THREADS" in os.environ else ("OPENBLAS_NUM_THREADS",)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
