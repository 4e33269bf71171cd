"""Languages of the portal (and of the API's history text): choosing one per request, its
words, and its numbers and dates.

Italian and English. The choice comes from the ``okr_lang`` cookie (set by the language
switch), else from ``Accept-Language``, else the tenant's locale, else Italian. Numbers are
formatted here with :class:`~decimal.Decimal` only ("4,5 su 5", "€ 1.200.000", "19,2 ore",
"62,5 %" in Italian; "4.5 of 5", "€1,200,000", "19.2 hours", "62.5%" in English).
Rounding happens only here, at display.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from domain.progress import percent_shown, score_shown
from domain.values import MAX_PLACES
from projections.history_text import ACTOR, said_person
from services.catalog import MESSAGES
from tenants.validation import LANGUAGES

DEFAULT_LANGUAGE = "it"
LANG_COOKIE = "okr_lang"
NBSP = "\u00a0"

_CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
_OUT_OF = re.compile(r"^\s*(?:su|of|/|out of)\s*(\d+(?:[.,]\d+)?)\s*$", re.IGNORECASE)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


@dataclass(frozen=True)
class _Numbers:
    decimal: str
    group: str


_SEPARATORS = {"it": _Numbers(",", "."), "en": _Numbers(".", ",")}


class Measured(Protocol):
    """What a key result or KPI node says about its unit."""

    @property
    def unit_kind(self) -> str: ...

    @property
    def currency(self) -> str | None: ...

    @property
    def unit_label(self) -> str | None: ...


def negotiate(cookie: str | None, accept_language: str | None, fallback: str | None) -> str:
    """The language of a request: the remembered choice, the browser's, the tenant's, Italian."""
    chosen = chosen_language(cookie, accept_language)
    if chosen is not None:
        return chosen
    primary = (fallback or "").split("-")[0].lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def chosen_language(cookie: str | None, accept_language: str | None) -> str | None:
    """The remembered choice, else the browser's first one offered; None: neither."""
    if cookie in LANGUAGES:
        return str(cookie)
    for tag in _accepted(accept_language or ""):
        if tag in LANGUAGES:
            return tag
    return None


def _accepted(header: str) -> list[str]:
    """Primary language subtags of an Accept-Language header, best first (stable on ties)."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, index, tag.split("-")[0].strip().lower()))
    return [tag for _, _, tag in sorted(weighted)]


def _quantize(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _digits(value: Decimal, max_places: int, min_places: int = 0) -> tuple[bool, str, str]:
    """Sign, integer digits and fraction digits of ``value`` rounded to ``max_places``."""
    rounded = _quantize(value, max_places)
    negative = rounded < 0
    text = f"{abs(rounded):f}"
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    fraction = fraction.ljust(min_places, "0")
    return negative, whole, fraction


class Locale:
    """Words and formats of one language, for templates and handlers."""

    def __init__(self, language: str, zone: dt.tzinfo = dt.UTC) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._sep = _SEPARATORS[self.language]
        self.zone = zone
        """Where the times shown are: the tenant's time zone on its pages, else UTC."""

    def in_zone(self, zone: dt.tzinfo) -> Locale:
        """The same language, showing times in `zone` (a tenant's)."""
        return Locale(self.language, zone)

    @property
    def other(self) -> str:
        """The language the switch offers."""
        return "en" if self.language == "it" else "it"

    # -- words ---------------------------------------------------------------------------

    def t(self, key: str, /, **params: Any) -> str:
        """The message ``key`` in this language, filled with ``params``."""
        texts = MESSAGES.get(key)
        if texts is None:
            return key
        pattern = texts.get(self.language) or texts["en"]
        return pattern.format(**params) if params else pattern

    def has(self, key: str) -> bool:
        return key in MESSAGES

    def person(self, actor: str | None, names: dict[str, str]) -> str:
        """Who an actor (or an owner) is, in words, as the API's history says it
        (projections.history_text.said_person): a name, "an integration" for unknown keys,
        "someone" for an account not known here, "an operator" or "the system" for a
        `system:` actor; an owner given as plain text ("Anna Neri"), or an import's
        "user:anna", as written."""
        return said_person(actor, names, self.language)

    def event(self, topic: str) -> str:
        """An event's kind in words (okr.KeyResult.CheckedIn: "Aggiornamento registrato");
        one without words here (a kind newer than this code) by its topic's last two parts."""
        key = f"audit.event.{topic}"
        return self.t(key) if key in MESSAGES else ".".join(topic.split(".")[-2:])

    def status(self, status: str | None) -> str:
        return self.t(f"status.{status or 'not_started'}")

    def health(self, health: str | None) -> str:
        return self.t(f"health.{health or 'none'}")

    # -- numbers -------------------------------------------------------------------------

    def number(self, value: Decimal | int | None, max_places: int = 2, min_places: int = 0) -> str:
        """``1.200.000`` / ``4,5`` in Italian; ``1,200,000`` / ``4.5`` in English."""
        if value is None:
            return "—"
        negative, whole, fraction = _digits(Decimal(value), max_places, min_places)
        groups: list[str] = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        groups.insert(0, whole)
        text = self._sep.group.join(groups)
        if fraction:
            text += self._sep.decimal + fraction
        return "-" + text if negative else text

    def score(self, value: Decimal, places: int = 2) -> str:
        """A score at close to two places (or `places`: a change's, domain.progress.
        score_places), rounded down (see domain.progress.score_shown), always all shown:
        ``0,70`` beside ``0,82``, ``1,00`` (not ``0,7``, ``1``)."""
        return self.number(score_shown(value, places), places, places)

    def percent(self, fraction: Decimal | None, max_places: int = 1) -> str:
        """A fraction as a percentage: 0.625 -> ``62,5 %`` / ``62.5%``; one short of 1
        never ``100 %`` (0.9996 -> ``99,9 %``: domain.progress.percent_shown)."""
        if fraction is None:
            return "—"
        shown = percent_shown(Decimal(fraction), max_places)
        return self._percent_sign(self.number(shown, max_places))

    def _percent_sign(self, number: str) -> str:
        return number + (NBSP + "%" if self.language == "it" else "%")

    def money(self, amount: Decimal | None, currency: str | None, max_places: int = 2) -> str:
        """``€ 1.200.000`` / ``€1,200,000``: cents only when there are any (and places past
        them, up to `max_places`, where the amount has them)."""
        if amount is None:
            return "—"
        value = Decimal(amount)
        places = 0 if value == value.to_integral_value() else max(2, _places(value, max_places))
        number = self.number(abs(value), places, places)
        code = (currency or "EUR").upper()
        symbol = _CURRENCY_SYMBOLS.get(code)
        if symbol is None:
            text = f"{code}{NBSP}{number}"
        elif self.language == "it":
            text = f"{symbol}{NBSP}{number}"
        else:
            text = f"{symbol}{number}"
        return "-" + text if _quantize(value, places) < 0 else text  # never "-€ 0,00"

    def hours(self, value: Decimal | None, max_places: int = 2) -> str:
        """``19,2 ore`` / ``19.2 hours`` (one as shown: ``1 ora`` / ``1 hour``, 1.001 too,
        which read "1 ore")."""
        if value is None:
            return "—"
        key = "unit.hour" if _quantize(Decimal(value), max_places) == 1 else "unit.hours"
        return self.t(key, n=self.number(value, max_places))

    def value(
        self,
        value: Decimal | None,
        unit: Measured,
        *,
        kind: str | None = None,
        max_places: int = 2,
    ) -> str:
        """A measured value in its unit: money, percent, hours, "4,3 su 5", "55 clienti"
        (to `max_places`: a history keeps every place a correction changed)."""
        if value is None:
            return "—"
        if kind == "milestone":
            return self.t("milestone.done" if value >= 1 else "milestone.not_done")
        max_places = _first_figures(Decimal(value), max_places)
        label = unit.unit_label or ""
        number = self.number(value, max_places)
        if unit.unit_kind == "currency":
            return self.money(value, unit.currency, max_places)
        if unit.unit_kind == "percent":
            return self._percent_sign(number)
        if unit.unit_kind == "hours":
            return self.hours(value, max_places)
        out_of = _OUT_OF.match(label)
        if out_of:
            scale = Decimal(out_of.group(1).replace(",", "."))
            return self.t("unit.out_of", n=number, of=self.number(scale))
        return f"{number} {label}".strip()

    def given(self, value: Decimal | None, unit: Measured, *, kind: str | None = None) -> str:
        """A value as it was given, in its unit, with every place it has (a check-in, a
        correction: "12,951 % → 12,954 %", which read "12,95 % → 12,95 %")."""
        return self.value(value, unit, kind=kind, max_places=MAX_PLACES)

    def axis(self, ticks: Sequence[Decimal], unit: Measured) -> list[str]:
        """A chart axis's values without words, all in one form: money in one compact scale
        for the whole axis (``0,8 Mln`` beside ``1,0 Mln``: it read ``800k`` beside ``1 Mln``),
        and every value with as many places as the one that needs most (``1,10`` beside
        ``1,15``: it read ``1,1``)."""
        largest = max((abs(tick) for tick in ticks), default=Decimal(0))
        divisor, suffix = Decimal(1), ""
        if unit.unit_kind == "currency" and largest >= 1_000_000:
            divisor, suffix = Decimal(1_000_000), self.t("unit.million")
        elif unit.unit_kind == "currency" and largest >= 10_000:
            divisor, suffix = Decimal(1000), "k"
        scaled = [tick / divisor for tick in ticks]
        places = max((_places(value, MAX_PLACES) for value in scaled), default=0)
        return [self.number(value, places, places) + suffix for value in scaled]

    def parse_value(self, text: str, unit: Measured | None) -> Decimal | None:
        """A value typed as the page writes it in its unit, or as a bare number ("4 ore",
        "4,4 su 5", "56 clienti", "CHF 1.200": a check-in's form gives its target so as an
        example, and that example was refused); None if not a number."""
        number = self.parse_number(text)
        if number is not None or unit is None:
            return number
        return self.parse_number(_without(text, self._unit_words(unit)))

    def _unit_words(self, unit: Measured) -> list[str]:
        """The words `value` writes beside a number of this unit, in this language."""
        if unit.unit_kind == "hours":
            return [self.t(key, n="").strip() for key in ("unit.hours", "unit.hour")]
        if unit.unit_kind == "currency":
            return [(unit.currency or "EUR").upper()]
        label = (unit.unit_label or "").strip()
        out_of = _OUT_OF.match(label)
        if out_of:
            scale = Decimal(out_of.group(1).replace(",", "."))
            return [self.t("unit.out_of", n="", of=self.number(scale)).strip(), label]
        return [label] if label else []

    def parse_number(self, text: str) -> Decimal | None:
        """A number typed by a person in this language ("1.200,5", "4,5", "4.5"); None if not.

        With both separators, the last one is the decimal mark and the other one must group
        the whole part by thousands. With one kind only, it is the decimal mark unless it is
        this language's grouping mark grouping the number by thousands ("1.200" is twelve
        hundred in Italian, "4.5" is four and a half; "0.125" cannot be grouped, a group
        never starts the number with 0, so it is an eighth).
        """
        cleaned = re.sub(r"[\s\u00a0\u202f€$£%]", "", text or "")
        if not cleaned:
            return None
        if "," in cleaned and "." in cleaned:
            mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
            whole, _, fraction = cleaned.rpartition(mark)
            if not _grouped(whole, "." if mark == "," else ","):
                return None
            cleaned = re.sub(r"[.,]", "", whole) + "." + fraction
        elif "," in cleaned or "." in cleaned:
            sep = "," if "," in cleaned else "."
            parts = cleaned.split(sep)
            if sep == self._sep.group and _grouped(cleaned, sep):
                cleaned = "".join(parts)
            elif len(parts) == 2:
                cleaned = ".".join(parts)
            else:
                return None
        if not re.fullmatch(r"[-+]?[0-9]+(?:\.[0-9]+)?", cleaned):  # ASCII digits only
            return None
        try:
            return Decimal(cleaned)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            return None

    # -- dates ---------------------------------------------------------------------------

    def date(self, day: dt.date | None, *, long: bool = False) -> str:
        """``3 mar 2026`` / ``3 Mar 2026`` (long: ``3 marzo 2026`` / ``3 March 2026``)."""
        if day is None:
            return "—"
        months = self.t("months.long" if long else "months.short").split()
        return f"{day.day} {months[day.month - 1]} {day.year}"

    def day_month(self, day: dt.date) -> str:
        """``3 mar`` / ``3 Mar``, for chart axes."""
        months = self.t("months.short").split()
        return f"{day.day} {months[day.month - 1]}"

    def datetime(self, moment: dt.datetime | None, zone: str | None = None) -> str:
        """``3 mar 2026, 14:05 CET``: an instant (stored in UTC; naive: UTC) in this
        locale's zone, or in `zone` (a tenant's, on a page of several), which it names (a
        reader would take an unlabelled time for their own: in UTC, one in Rome read it an
        hour off)."""
        if moment is None:
            return "—"
        local = self._local(moment, zone)
        return f"{self.date(local.date())}, {local:%H:%M} {local:%Z}"

    def day(self, moment: dt.datetime | None) -> str:
        """``3 mar 2026``: the day an instant fell on where this locale shows times (the
        tenant's zone on its pages), as its history says it: an instant's UTC date is
        another day for a tenant hours away from UTC."""
        return "—" if moment is None else self.date(self._local(moment, None).date())

    def _local(self, moment: dt.datetime, zone: str | None) -> dt.datetime:
        """An instant (stored in UTC; naive: UTC) in `zone`, else in this locale's zone."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(ZoneInfo(zone) if zone else self.zone)

    # -- free text from the log ----------------------------------------------------------

    def param(self, text: str | None, names: dict[str, str] | None = None) -> str | None:
        """A history parameter made local: numbers, ISO dates and actors in words."""
        if text is None:
            return None
        if ACTOR.fullmatch(text):
            return self.person(text, names or {})
        if _ISO_DATE.match(text):
            try:
                return self.date(dt.date.fromisoformat(text))
            except ValueError:
                return text
        if _NUMBER.match(text):
            return self.number(Decimal(text), 4)
        return text


def _without(text: str, words: Sequence[str]) -> str:
    """`text` without one of `words` (in any case, spaces as one) before or after it."""
    said = " ".join(text.split())
    for word in (" ".join(w.split()) for w in words if w.strip()):
        if said[-len(word) :].casefold() == word.casefold():
            return said[: -len(word)]
        if said[: len(word)].casefold() == word.casefold():
            return said[len(word) :]
    return said


def _first_figures(value: Decimal, places: int) -> int:
    """`places`, or as many as a value below one needs to show its first two figures, six
    at most: a rate aimed from 0,005 to 0,002 read "0,01" and "0" to two places."""
    if value == 0 or abs(value) >= 1:
        return places
    return max(places, min(MAX_PLACES, 1 - value.adjusted()))


def _places(value: Decimal, most: int) -> int:
    """The decimal places the value has (trailing zeros aside), at most `most`."""
    exponent = value.normalize().as_tuple().exponent
    return min(most, -exponent) if isinstance(exponent, int) and exponent < 0 else 0


def _grouped(whole: str, group: str) -> bool:
    """Whether a whole number is written in groups of three digits (1.200.000), its first
    group 1 to 3 digits that do not start with 0."""
    return (
        re.fullmatch(rf"[-+]?[1-9][0-9]{{0,2}}(?:{re.escape(group)}[0-9]{{3}})+", whole) is not None
    )
