"""Raw input in, a clean value or a named error with the field at fault out."""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from functools import cache

from tenants.errors import (
    InvalidCadenceError,
    InvalidColourError,
    InvalidEmailError,
    InvalidLocaleError,
    InvalidMonthError,
    InvalidNameError,
    InvalidRoleError,
    InvalidSlugError,
    InvalidTimeZoneError,
    WeakPasswordError,
)
from tenants.roles import Role

MAX_NAME = 200
MAX_EMAIL = 254
MIN_PASSWORD, MAX_PASSWORD = 12, 1024
MAX_CADENCE_DAYS = 90
LANGUAGES = ("it", "en")
"""The languages the portal speaks: a tenant's locale names one of them (its default)."""

_EMAIL = re.compile(r"[^@\s]{1,64}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9-]{1,63})+")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_COLOUR = re.compile(r"#[0-9a-f]{6}")
_LOCALE = re.compile(r"([a-z]{2,3})(?:[-_]([a-z]{2}))?", re.IGNORECASE)


def email(value: object, field: str = "email") -> str:
    """A trimmed, lower-cased address of plausible shape (local@domain.tld), at most 254,
    with no control character."""
    if not isinstance(value, str):
        raise InvalidEmailError("email must be text", field=field)
    cleaned = value.strip().lower()
    if len(cleaned) > MAX_EMAIL or not _EMAIL.fullmatch(cleaned) or has_control(cleaned):
        raise InvalidEmailError(f"not an email address: {value!r}", field=field)
    return cleaned


def name(value: object, field: str = "name") -> str:
    """Trimmed text of 1 to 200 characters, with no control character."""
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= MAX_NAME:
        raise InvalidNameError(f"{field} must be 1 to {MAX_NAME} characters", field=field)
    if has_control(value):
        raise InvalidNameError(
            f"{field} contains a control character", field=field, rule="control_character"
        )
    if not any(_visible(c) for c in value):
        raise InvalidNameError(f"{field} has nothing to read", field=field, rule="unreadable")
    return value.strip()


def name_key(text: str) -> str:
    """What two names are told apart by, as a person reads them: not their case, nor their
    spaces (trimmed, runs of them as one), nor how their characters are encoded: "Acme" and
    " ACME " name one client in a portfolio (domain.cycle.name_key, for cycles, alike)."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def has_control(text: str) -> bool:
    """Whether text holds a control character (a NUL no column stores, a bell, a line
    break in a name, Unicode's line or paragraph separator too) or a bidirectional
    embedding, override or isolate (which reverse how the text after them reads): as the
    domain refuses them in titles."""
    return any(unicodedata.category(c) in _CONTROLS or c in _BIDI_CONTROLS for c in text)


def _visible(c: str) -> bool:
    """A character that shows on its own: not a space, a format or control character, a
    mark (it only changes the one before), nor a blank that is a letter (Hangul fillers,
    the braille blank)."""
    return not c.isspace() and unicodedata.category(c) not in _UNSEEN and c not in _BLANKS


_UNSEEN = frozenset({"Cc", "Cf", "Mn", "Me"})
_CONTROLS = frozenset({"Cc", "Zl", "Zp"})
_BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def slug(value: object, field: str = "slug") -> str:
    """Lowercase ascii words joined by single hyphens, 1 to 63 characters."""
    if not isinstance(value, str) or len(value) > 63 or not _SLUG.fullmatch(value):
        raise InvalidSlugError(f"not a slug: {value!r}", field=field)
    return value


def slug_from(text: str, field: str = "slug") -> str:
    """A slug made from a name: accents dropped, other runs of symbols become one hyphen."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return slug("-".join(words)[:63].strip("-"), field)


SLUG_TRIES = 50
"""Slugs a new tenant named, not given one, may take: its name's, then "-2", "-3"…"""


def slugs_for(name: str) -> list[str]:
    """The slugs a tenant of this name takes the first free one of (a slug is unique in its
    consultancy): its name's, then "-2" to "-50"; a name with no letter or digit to keep
    ("株式会社"): "cliente", "cliente-2"…"""
    try:
        base = slug_from(name)
    except InvalidSlugError:
        base = "cliente"
    return [base, *(f"{base[:58].rstrip('-')}-{n}" for n in range(2, SLUG_TRIES + 1))]


def colour(value: object, field: str = "colour") -> str:
    """#rrggbb, stored lower-case."""
    if not isinstance(value, str) or not _COLOUR.fullmatch(value.strip().lower()):
        raise InvalidColourError(f"colour must be #rrggbb, not {value!r}", field=field)
    return value.strip().lower()


def month(value: object, field: str = "fiscal_year_start_month") -> int:
    """A month number 1..12."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 12:
        raise InvalidMonthError(f"month must be 1..12, not {value!r}", field=field)
    return value


def cadence_days(value: object, field: str = "check_in_cadence_days") -> int:
    """Days between expected check-ins, 1..90."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidCadenceError(f"cadence must be whole days, not {value!r}", field=field)
    if not 1 <= value <= MAX_CADENCE_DAYS:
        raise InvalidCadenceError(f"cadence must be 1..{MAX_CADENCE_DAYS} days", field=field)
    return value


def locale(value: object, field: str = "locale") -> str:
    """One of the portal's languages with an optional region, normalised: ``it``, ``en-GB``."""
    match = _LOCALE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or match[1].lower() not in LANGUAGES:
        raise InvalidLocaleError(
            f"locale must be one of the portal's languages ({', '.join(LANGUAGES)}),"
            f" optionally with a region such as en-GB; not {value!r}",
            field=field,
        )
    language, region = match.groups()
    return language.lower() + (f"-{region.upper()}" if region else "")


def time_zone(value: object, field: str = "time_zone") -> str:
    """An IANA time zone name zoneinfo knows, as written: ``Europe/Rome``, ``UTC``."""
    name = value.strip() if isinstance(value, str) else None
    if name is None or name not in _time_zones():
        raise InvalidTimeZoneError(
            f"time_zone must be an IANA time zone name, such as Europe/Rome or UTC; not {value!r}",
            field=field,
        )
    return name


def default_time_zone(locale: str) -> str:
    """The zone of a new tenant that names none: Europe/Rome for Italian (the clients this
    platform serves), UTC for any other language (it says nothing of where they are)."""
    return "Europe/Rome" if locale.split("-")[0] == "it" else "UTC"


_AREAS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia",
          "Europe", "Indian", "Pacific")  # fmt: skip


@cache
def time_zones() -> tuple[str, ...]:
    """The zones a person chooses from: those of a place (Europe/Rome), sorted, and UTC;
    the tz database's other names (EST5EDT, Etc/GMT+1, US/Eastern) stay accepted, not
    offered."""
    return (*sorted(z for z in _time_zones() if z.split("/")[0] in _AREAS), "UTC")


@cache
def _time_zones() -> frozenset[str]:
    """The zones the system's tz database holds, less the names of no place: the server's
    own zone ("localtime") and tzdata's placeholder ("Factory")."""
    return frozenset(zoneinfo.available_timezones() - {"localtime", "Factory", "posixrules"})


def role(value: object, allowed: frozenset[Role], field: str = "role") -> Role:
    """A role by name, one of ``allowed`` for where it is used."""
    try:
        parsed = Role(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidRoleError(f"unknown role {value!r}", field=field)
    if parsed not in allowed:
        choices = ", ".join(sorted(allowed))
        raise InvalidRoleError(f"role {parsed} is not one of: {choices}", field=field)
    return parsed


def password(value: object, field: str = "password") -> str:
    """A password of 12 to 1024 characters (the upper bound keeps hashing cheap to refuse),
    not only spaces, and with no control character (twelve NULs are no password)."""
    if not isinstance(value, str) or not MIN_PASSWORD <= len(value) <= MAX_PASSWORD:
        raise WeakPasswordError(
            f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters", field=field
        )
    if not value.strip() or any(unicodedata.category(c) == "Cc" for c in value):
        raise WeakPasswordError(
            "password must not be only spaces nor hold a control character",
            field=field,
            rule="password_characters",
        )
    return value
