"""What a client accepts: an API route answers its own media type (JSON, or an export's CSV
or JSON Lines), and its errors in problem+json. An Accept that admits none of these is
406, not an answer in a type the client said it does not read (RFC 9110, 12.5.1).

A client that admits JSON or problem+json is taken to read JSON of any kind, an export's
JSON Lines included: a JSON client's default Accept keeps working everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from litestar import Request

from services.api.problems import PROBLEM_JSON, NotAcceptableError

JSON = "application/json"


def refuse_unacceptable(request: Request[Any, Any, Any]) -> None:
    """406 naming Accept when it admits neither the route's own media type, nor JSON, nor
    problem+json; no Accept (or a blank one) admits anything."""
    accept = request.headers.get("accept", "").strip()
    if not accept:
        return
    media_type = request.route_handler.media_type
    own = str(getattr(media_type, "value", media_type)).partition(";")[0].strip().lower()
    offered = list(dict.fromkeys(t for t in (own, JSON, PROBLEM_JSON) if t))  # own: "" if none
    if not any(quality(accept, offer) > 0 for offer in offered):
        raise NotAcceptableError(
            f"Accept: {accept[:200]} admits nothing this route answers: {', '.join(offered)}",
            field="Accept",
            rule="not_acceptable",
        )


def quality(accept: str, media_type: str) -> float:
    """The weight Accept gives a media type: that of the most specific range matching it
    (type/subtype, then type/*, then */*), 0 if none does."""
    maintype, _, subtype = media_type.partition("/")
    found: tuple[int, float] = (-1, 0.0)
    for range_main, range_sub, weight in _ranges(accept):
        if range_main == "*" and range_sub == "*":
            specificity = 0
        elif range_main == maintype and range_sub == "*":
            specificity = 1
        elif (range_main, range_sub) == (maintype, subtype):
            specificity = 2
        else:
            continue
        found = max(found, (specificity, weight), key=lambda f: f[0])
    return found[1]


def accepted_language(accept_language: str | None, offered: Sequence[str]) -> str | None:
    """The language of `offered` an Accept-Language weights most, by its primary subtag
    (en-GB is en; the first said on a tie); None: it admits none of them (none given, "*",
    or each with q=0), and the answer is in the tenant's language."""
    best: tuple[float, str | None] = (0.0, None)
    for part in (accept_language or "").split(","):
        tag, *parameters = part.split(";")
        language = tag.strip().lower().partition("-")[0]
        weight = _weight(parameters)
        if language in offered and weight > best[0]:
            best = (weight, language)
    return best[1]


def _ranges(accept: str) -> Iterable[tuple[str, str, float]]:
    """Each media range of an Accept, lower case, with its weight (1 unless q says)."""
    for part in accept.split(","):
        media, *parameters = part.split(";")
        maintype, _, subtype = media.strip().lower().partition("/")
        yield maintype, subtype.strip(), _weight(parameters)


def _weight(parameters: list[str]) -> float:
    """A range's q (a weight of no shape: as none, the range is still said)."""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q" and _QVALUE.fullmatch(value.strip()):
            return float(value)
    return 1.0


_QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")
"""A weight as RFC 9110 writes it: 0 to 1, three places at most."""
