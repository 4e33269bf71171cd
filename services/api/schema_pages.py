"""The interactive docs at /schema (Scalar) and /schema/swagger (Swagger UI), their scripts
and styles pinned: each an exact version on the CDN, with its Subresource Integrity hash.

Litestar ships neither bundle: its pages load them from a CDN, Scalar's as `@latest` and its
theme from a branch, so what ran in the page (beside the docs' bearer token) was whatever
the CDN served that day. A file that is not the one hashed here is not run by the browser.
The hashes are of the files of the packages' npm tarballs (the CDN serves them as they are):
to move a version, hash its files anew (`openssl dgst -sha384 -binary FILE | base64`).
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.openapi.plugins import JsonRenderPlugin, ScalarRenderPlugin, SwaggerRenderPlugin

from services.api.schema_names import with_short_names

CDN = "https://cdn.jsdelivr.net/npm"
SCALAR = f"{CDN}/@scalar/api-reference@1.72.1/dist"
SWAGGER = f"{CDN}/swagger-ui-dist@5.18.2"
FAVICON = f"{SWAGGER}/favicon-32x32.png"
INTEGRITY = {
    f"{SCALAR}/browser/standalone.js": (
        "sha384-U11tb2XnKvmwt8RlTvnwUnYgrN+ur4Xyh9htLhjajWNR/Oyl5AX5DEz00qRmlrmK"
    ),
    f"{SCALAR}/style.css": (
        "sha384-wAOny1QIu+U+dY2twamQXOFNqAFKiMP8NuMqdvC9YmglihOOBA1wPzYEWkPV4r4a"
    ),
    f"{SWAGGER}/swagger-ui-bundle.js": (
        "sha384-NXtFPpN61oWCuN4D42K6Zd5Rt2+uxeIT36R7kpXBuY9tLnZorzrJ4ykpqwJfgjpZ"
    ),
    f"{SWAGGER}/swagger-ui.css": (
        "sha384-rcbEi6xgdPk0iWkAQzT2F3FeBJXdG+ydrawGlfHAFIZG7wU6aKbQaRewysYpmrlW"
    ),
    f"{SWAGGER}/swagger-ui-standalone-preset.js": (
        "sha384-qr68CD0cvHa88PmVu7e1a58Ego4qvKtcvcLdS2a8Mo5zILI01gyIV9jVwJk7X2NU"
    ),
}
"""Each file the pages load, and the hash the browser checks it against."""
_FAVICON_TAG = f"<link rel='icon' type='image/png' href='{FAVICON}'>"


def with_integrity(page: bytes) -> bytes:
    """The page with each pinned file's hash beside its URL, fetched with CORS (a file of
    another origin is checked only so), once (Litestar's bare `crossorigin` goes)."""
    html = page.decode()
    for url, digest in INTEGRITY.items():
        pinned = f'"{url}" integrity="{digest}" crossorigin="anonymous"'
        html = re.sub(rf'"{re.escape(url)}"(?: crossorigin(?![=\w-]))?', pinned, html)
    return html.encode()


class ShortNames:
    """A page of the document renders it with short schema names (see schema_names), made
    once for the document Litestar builds once."""

    _served: tuple[dict[str, Any], dict[str, Any]] | None = None

    def short_named(self, document: dict[str, Any]) -> dict[str, Any]:
        if self._served is None or self._served[0] is not document:
            self._served = (document, with_short_names(document))
        return self._served[1]


class ShortNamesJsonPlugin(ShortNames, JsonRenderPlugin):
    """/schema/openapi.json, its schemas with short names."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, self.short_named(openapi_schema))


class PinnedScalarPlugin(ShortNames, ScalarRenderPlugin):
    """Scalar, its bundle and style pinned."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            js_url=f"{SCALAR}/browser/standalone.js",
            css_url=f"{SCALAR}/style.css",
            favicon=_FAVICON_TAG,
            **kwargs,
        )

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return with_integrity(super().render(request, self.short_named(openapi_schema)))


class PinnedSwaggerPlugin(ShortNames, SwaggerRenderPlugin):
    """Swagger UI, its bundle, preset and style pinned."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            js_url=f"{SWAGGER}/swagger-ui-bundle.js",
            css_url=f"{SWAGGER}/swagger-ui.css",
            standalone_preset_js_url=f"{SWAGGER}/swagger-ui-standalone-preset.js",
            favicon=_FAVICON_TAG,
            **kwargs,
        )

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return with_integrity(super().render(request, self.short_named(openapi_schema)))
