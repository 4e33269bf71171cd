"""The HTTP API (Litestar): `create_app(system, settings)` is the one way to build it."""

from services.api.app import create_app

__all__ = ["create_app"]
