"""The recording format, shared by its writer and its reader.

Format: JSON lines, one record per line, flushed as it is written, so a crash or a kill loses at
most the line in flight and never what is already on disk; a torn last line is skipped on read.
JSON lines rather than SQLite: a recording is written once, front to back, and read once, front to
back; a text file does that with no locking and greps well. A PATH ending in `.gz` is written
gzip-compressed and flushed (Z_SYNC_FLUSH) at the end of each poll, so a kill loses at most the
poll in flight and the file stays readable up to the last whole poll; each flush ends a deflate
block, so flushing per record instead would cost a fifth more bytes for no gain.

    {"kind": "header", "format": "hedgeflow-recording", "version": 1, "created": ISO,
     "source": "SIMULATED", "description": "...", "bar_size": "1m", "symbols": ["SPY"],
     "seed": 7}   (seed: simulated sources only)
    {"kind": "response", "received": ISO, "endpoint": "hedge-flow" | "series" | "account",
     "params": {"symbol": ..., "side": ..., "bar": ..., "minutes": ...}, "body": {...}}
    {"kind": "batch", "symbol": "SPY", "bar_size": "1m"}

A `batch` line closes one poll cycle: the responses of that symbol since its previous batch line
were merged into the store together, and replay merges them together again, so replay sees the
same sequence of store changes, and so the same bar and alert lines, as the live run.
Only the answer bodies and the query are stored: never a header, a host, or the API key.
"""

FORMAT = "hedgeflow-recording"
VERSION = 1


class RecordingError(ValueError):
    """A file that is not a recording this version can read; the message is one line."""
