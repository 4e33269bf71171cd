"""How the service logs: one JSON line an event, the standard library's loggers too."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from services.logs import configure_logging


def test_a_library_s_error_logs_its_traceback_and_its_logger(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """asyncpg's or uvicorn's error with an exception: its line said the exception's repr
    ("<traceback object at 0x…>") and not which logger; now the traceback as text, and the
    logger's name."""
    root = logging.getLogger()
    kept, structlog_kept = (root.handlers[:], root.level), structlog.get_config()
    try:
        configure_logging()
        try:
            raise ConnectionResetError("the server went away")
        except ConnectionResetError:
            logging.getLogger("asyncpg.pool").exception("Failed to restore the pool floor")
        (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    finally:  # as the other tests log: stdout here is this test's capture
        root.handlers, root.level = kept[0], kept[1]
        structlog.configure(**structlog_kept)
    assert line["logger"] == "asyncpg.pool" and line["level"] == "error"
    assert "Traceback (most recent call last)" in line["exception"]
    assert "ConnectionResetError: the server went away" in line["exception"]
    assert "exc_info" not in line
