"""Atomic file writes: a reader, or a crash, sees the old file or the new one, never half of one.

Every file StretchGuard saves (tracks, events, thresholds, sessions, indexes) goes through here, so
"nothing already saved is lost" is one mechanism rather than a pattern copied into each writer.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

SAVED_FILE_MODE = 0o644  # mkstemp creates 0600; a saved file is an ordinary user file


@contextmanager
def atomic_writer(path: str | os.PathLike, *, binary: bool = False, durable: bool = False) -> Iterator[IO]:
    """Yield a handle on a temp file beside `path`; on success it replaces `path`, on error it vanishes.

    durable=True also fsyncs before the rename, for files that must survive a power cut (live sessions).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as handle:
            yield handle
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp_name, SAVED_FILE_MODE)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    with atomic_writer(path) as handle:
        handle.write(text)
    return Path(path)
