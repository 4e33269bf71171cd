"""Value objects, enums and validators that turn raw input into normalised domain values.

Validators raise a named :class:`~domain.errors.DomainError` carrying the input field at fault.
Events store plain types only, so enums travel as their ``str`` value and a :class:`Unit`
as three fields (``unit_kind``, ``currency``, ``unit_label``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar
from uuid import UUID, uuid4

from domain.errors import (
    ConfidenceRangeError,
    DomainError,
    InvalidDateError,
    InvalidTitleError,
    InvalidUnitError,
    InvalidValueError,
    InvalidWeightError,
    ReasonRequiredError,
)

MAX_MAGNITUDE = Decimal(10) ** 15
MAX_PLACES = 6
MAX_NUMBER_TEXT = 64
TITLE_MAX = 200
NOTE_MAX = 2000
REASON_MAX = 1000
LABEL_MAX = 50
PRINCIPAL_MAX = 200
WEIGHT_MAX = Decimal(1000)
DEFAULT_WEIGHT = Decimal(1)
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)
"""The days a business date may be: a cycle of year 1 to 9999 was taken, and its pace
arithmetic (a due day plus a month) overflowed."""
SCORE_PLACES = 64
"""A score's decimal places: a closing score is clamp(p) or a share, computed to 28
significant digits, so a small one has some 50 places."""
_ONE = Decimal(1)


class KRKind(StrEnum):
    """How a key result is measured."""

    INCREASE = "increase"
    DECREASE = "decrease"
    STAY_ABOVE = "stay_above"
    STAY_BELOW = "stay_below"
    MILESTONE = "milestone"

    @property
    def is_guardrail(self) -> bool:
        """True for thresholds that must hold at each check-in."""
        return self in (KRKind.STAY_ABOVE, KRKind.STAY_BELOW)

    @property
    def is_ranged(self) -> bool:
        """True for kinds that move from a start to a target."""
        return self in (KRKind.INCREASE, KRKind.DECREASE)


class Status(StrEnum):
    """Computed status of a key result (never typed by a person)."""

    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    DONE = "done"


class CycleState(StrEnum):
    """Life of a cycle: planning -> active -> closed."""

    PLANNING = "planning"
    ACTIVE = "active"
    CLOSED = "closed"


class CyclePeriod(StrEnum):
    """The kind of period a cycle covers."""

    QUARTER = "quarter"
    YEAR = "year"
    CUSTOM = "custom"

    @classmethod
    def of(cls, starts_on: date, ends_on: date) -> CyclePeriod:
        """The kind of a period not named: a quarter for 89 to 92 days (both ends counted),
        a year for 365 or 366, else custom."""
        days = (ends_on - starts_on).days + 1
        if 89 <= days <= 92:
            return cls.QUARTER
        return cls.YEAR if days in (365, 366) else cls.CUSTOM


class ObjectiveLevel(StrEnum):
    """Where an objective sits in the organisation."""

    COMPANY = "company"
    TEAM = "team"
    INDIVIDUAL = "individual"


class Direction(StrEnum):
    """Which way a KPI is better."""

    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


class Health(StrEnum):
    """Traffic-light band of a KPI or a score."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"


class CheckInSource(StrEnum):
    """Where a check-in or measurement came from."""

    MANUAL = "manual"
    API = "api"
    KPI = "kpi"


class UnitKind(StrEnum):
    """What a measured value counts."""

    COUNT = "count"
    PERCENT = "percent"
    CURRENCY = "currency"
    HOURS = "hours"
    SCORE = "score"
    TEXT = "text"


# ISO 4217 list one, active codes (2025), without XTS (testing) and XXX (no currency).
_ISO_4217_TEXT = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD
    BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD
    EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD
    IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL
    MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN
    PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN
    SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES
    VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR ZMW
    ZWG
"""
ISO_4217_CODES = frozenset(_ISO_4217_TEXT.split())


@dataclass(frozen=True)
class Unit:
    """The unit of a measured value; build it with :func:`unit` to normalise input."""

    kind: UnitKind = UnitKind.COUNT
    currency: str | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        kind = choice(UnitKind, self.kind, "unit_kind", error=InvalidUnitError)
        object.__setattr__(self, "kind", kind)
        _check_unit(kind, self.currency, self.label)


def same_unit(one: Unit, other: Unit) -> bool:
    """Whether values of one unit are values of the other: the same kind, currency, and
    for a unit named by its label ("litri", "km"), the same label."""
    named = one.kind is UnitKind.TEXT
    return (one.kind, one.currency) == (other.kind, other.currency) and (
        not named or one.label == other.label
    )


def _check_unit(kind: UnitKind, currency: str | None, label: str | None) -> None:
    if kind is UnitKind.CURRENCY and currency is None:
        raise InvalidUnitError(
            "a currency unit needs its currency (an ISO 4217 code: EUR, CHF...)",
            field="currency",
            rule="required",
        )
    if kind is UnitKind.CURRENCY and currency not in ISO_4217_CODES:
        raise InvalidUnitError(
            f"{currency!r} is not an ISO 4217 currency code",
            field="currency",
            rule="unknown_currency",
        )
    if kind is not UnitKind.CURRENCY and currency is not None:
        raise InvalidUnitError(
            "a currency is only given for currency units", field="currency", rule="unexpected"
        )
    if kind is UnitKind.TEXT and not label:
        raise InvalidUnitError("a text unit needs a label", field="unit_label", rule="required")


def unit(kind: object, currency: object = None, label: object = None) -> Unit:
    """Validate and normalise a unit (currency upper-cased, label trimmed)."""
    unit_kind = choice(UnitKind, kind, "unit_kind", error=InvalidUnitError)
    code = currency.strip().upper() if isinstance(currency, str) else currency
    if code is not None and not isinstance(code, str):
        raise InvalidUnitError("currency must be text", field="currency", rule="wrong_type")
    text = None if label is None or label == "" else _text(label, "unit_label", LABEL_MAX)
    return Unit(unit_kind, code, text)


E = TypeVar("E", bound=StrEnum)


def choice(
    enum: type[E], value: object, field: str, *, error: type[DomainError] = InvalidValueError
) -> E:
    """Parse one of an enum's values, raising ``error`` on anything else."""
    try:
        if isinstance(value, str):
            return enum(value)
    except ValueError:
        pass
    allowed = ", ".join(member.value for member in enum)
    raise error(f"{value!r} is not one of: {allowed}", field=field, rule="unknown_choice")


NEVER_NEGATIVE = {
    UnitKind.COUNT: "a count cannot be below 0",
    UnitKind.HOURS: "a number of hours cannot be below 0",
}
"""Units whose values are never negative (a balance, a margin, a score may be)."""


def in_unit(number: Decimal, kind: UnitKind | str, field: str) -> Decimal:
    """A measured value that its unit can hold: 0 or more for counts and hours (-3 h fed a
    KPI and counted its key result done)."""
    why = NEVER_NEGATIVE.get(UnitKind(kind))
    if why is not None and number < 0:
        raise InvalidValueError(f"{field}: {why}", field=field, rule="negative")
    return number


def measured(value: object, field: str) -> Decimal:
    """A finite Decimal from Decimal/int/str input: no float, bool, NaN, huge or over-precise."""
    number = _to_decimal(value, field)
    if not number.is_finite():
        raise InvalidValueError(f"{field} must be finite", field=field, rule="not_finite")
    if number.copy_abs() >= MAX_MAGNITUDE:  # abs() would round, and overflow at 1E+999999
        raise InvalidValueError(f"{field} is too large", field=field, rule="too_large")
    return _within_places(number, MAX_PLACES, field)


def _to_decimal(value: object, field: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        return parse_number(value, field)
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValueError(f"{field} must be finite", field=field, rule="not_finite")
    raise InvalidValueError(
        f"{field} must be a decimal number (Decimal, int or str)", field=field, rule="wrong_type"
    )


_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")
"""A number as text: ASCII digits, a point, an exponent (Decimal itself would also take
"1_000", other scripts' digits, "+5" and ".5"); spaces around it are cut."""
_NOT_FINITE = re.compile(r"[-+]?s?(nan|inf|infinity)", re.IGNORECASE)
"""Spelt as Decimal spells them: taken, to be refused as not finite where it matters."""


def parse_number(text: str, field: str) -> Decimal:
    """A number written as text, as the API documents it (see _NUMBER), or InvalidValueError
    not_a_number / too_long; NaN and infinities are taken, for the caller to refuse."""
    if len(text) > MAX_NUMBER_TEXT:
        raise InvalidValueError(f"{field} is too long", field=field, rule="too_long")
    text = text.strip()  # as pasted from a sheet
    if not (_NUMBER.fullmatch(text) or _NOT_FINITE.fullmatch(text)):
        raise InvalidValueError(
            f"{field} is not a number written as 19.2, -3 or 1.5e6", field=field,
            rule="not_a_number",
        )  # fmt: skip
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the patterns admit only numbers
        raise InvalidValueError(
            f"{field} is not a number", field=field, rule="not_a_number"
        ) from None


def score(value: object, field: str = "score") -> Decimal:
    """A finite score from 0 to 1 (any precision: 2/3 of guardrail check-ins is a score, and
    a computed one may have some 50 places), rounded half-even at 64 places, and written
    as it reads: 0.5 for 0.50, 0 for -0.0 (kept as written, the API answered "-0.0")."""
    number = _to_decimal(value, field)
    if not number.is_finite() or not 0 <= number <= 1:
        raise InvalidValueError(f"{field} must be from 0 to 1", field=field, rule="out_of_range")
    plain = _plain(number, SCORE_PLACES)
    return _ZERO if plain == 0 else plain.normalize(_WIDE)


def _within_places(number: Decimal, places: int, field: str) -> Decimal:
    """A finite `number` of bounded magnitude with at most `places` decimal places (more:
    too_precise), written as _plain writes it."""
    plain = _plain(number, places)
    if plain != number:
        raise InvalidValueError(
            f"{field} has more than {places} decimal places", field=field, rule="too_precise"
        )
    return plain


def _plain(number: Decimal, places: int) -> Decimal:
    """A finite number of bounded magnitude written with an exponent PostgreSQL's numeric can
    hold, rounded half-even at `places` decimal places: 0E+99999999999 is 0, 1.5E+6 is
    1500000, and 61 with thirty zeros after the point is 61.000000 (such a value was
    logged, and then no projector could store it)."""
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite numbers have an int exponent
    if exponent > 0:
        return number.quantize(_ONE, context=_WIDE)
    if exponent >= -places:
        return number
    return number.quantize(Decimal(1).scaleb(-places), context=_WIDE)


_ZERO = Decimal(0)
_WIDE = Context(prec=100, rounding=ROUND_HALF_EVEN)
"""Enough digits for any value the validators take, at their places (the default 28 are
not: a score of 64 places raised InvalidOperation)."""


def _text(
    text: object, field: str, max_len: int, *, empty_ok: bool = False, lines: bool = False
) -> str:
    """Trimmed text: no control character (but line breaks and tabs where `lines`: notes
    and reasons), and, unless `empty_ok`, something to read (not only spaces or invisible
    characters such as a zero-width space)."""
    if not isinstance(text, str):
        raise InvalidTitleError(f"{field} must be text", field=field, rule="wrong_type")
    cleaned = text.strip()
    if lines:  # a word processor's soft line break, a form feed, a next-line, Unicode's line
        # and paragraph separators: line breaks;
        # and one line break each, as a form counts them (a browser sends CR LF for one)
        cleaned = cleaned.replace("\r\n", "\n").translate(_SOFT_BREAKS)
    if len(cleaned) > max_len:
        raise InvalidTitleError(
            f"{field} is longer than {max_len} characters", field=field, rule="too_long"
        )
    allowed = _LINE_CONTROLS if lines else ""
    if any(
        (unicodedata.category(c) in _CONTROLS and c not in allowed) or c in _BIDI_CONTROLS
        for c in cleaned
    ):
        raise InvalidTitleError(
            f"{field} contains a control character", field=field, rule="control_character"
        )
    if not empty_ok and not _readable(cleaned):
        raise InvalidTitleError(f"{field} must not be empty", field=field, rule="empty")
    return cleaned


def _readable(text: str) -> bool:
    """Whether there is something to read: a character not a space, a control or a format
    character (a zero-width space, a direction mark), a mark (it only changes the one
    before), nor a blank that is a letter (Hangul fillers, the braille blank)."""
    return any(unicodedata.category(c)[0] not in "CZM" and c not in _BLANKS for c in text)


_BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


_CONTROLS = frozenset({"Cc", "Zl", "Zp"})
"""Control characters, and Unicode's line and paragraph separators (U+2028, U+2029): line
breaks to a browser, a word processor and str.splitlines, which a title has none of."""
_LINE_CONTROLS = "\n\r\t"
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Embeddings, overrides and isolates: they make text read otherwise than it is stored (a
history line's words reversed), so they are refused as control characters are."""
_SOFT_BREAKS = str.maketrans(
    {"\x0b": "\n", "\x0c": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n"}
)


def title(text: object, field: str = "title") -> str:
    """A trimmed title or name of 1..200 characters."""
    return _text(text, field, TITLE_MAX)


def note(text: object, field: str = "note") -> str:
    """A trimmed optional note of at most 2000 characters (None becomes "")."""
    return "" if text is None else _text(text, field, NOTE_MAX, empty_ok=True, lines=True)


def reason(text: object, field: str = "reason") -> str:
    """A required, trimmed reason of 1..1000 characters."""
    if text is None or (isinstance(text, str) and not _readable(text)):
        raise ReasonRequiredError(f"{field} is required", field=field)
    return _text(text, field, REASON_MAX, lines=True)


def optional_reason(text: object, field: str = "reason") -> str | None:
    """A trimmed reason of 1..1000 characters, or None where a change may go without one
    (a change of settings or access); given, it must say something."""
    return None if text is None else _text(text, field, REASON_MAX, lines=True)


def principal(text: object, field: str) -> str:
    """An opaque reference to a person or API key (author, owner): 1..200 characters."""
    return _text(text, field, PRINCIPAL_MAX)


def confidence(value: object, field: str = "confidence") -> int | None:
    """An optional owner's confidence, an int from 0 to 10."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ConfidenceRangeError(f"{field} must be an integer from 0 to 10", field=field)
    return value


def weight(value: object, field: str = "weight") -> Decimal:
    """A weight with 0 < w <= 1000."""
    number = measured(value, field)
    if not 0 < number <= WEIGHT_MAX:
        raise InvalidWeightError(f"{field} must be > 0 and <= {WEIGHT_MAX}", field=field)
    return number


def flag(value: object, field: str) -> bool:
    """A strict boolean (no truthy strings or ints)."""
    if not isinstance(value, bool):
        raise InvalidValueError(f"{field} must be true or false", field=field, rule="wrong_type")
    return value


def new_id(value: object, field: str) -> UUID:
    """A client-supplied UUID, or a fresh uuid4 when none was given."""
    if value is None:
        return uuid4()
    if not isinstance(value, UUID):
        raise InvalidValueError(f"{field} must be a UUID", field=field, rule="wrong_type")
    return value


def business_date(value: object, field: str, latest: date | None = None) -> date:
    """A calendar date of business validity (a datetime is rejected, not truncated), not
    after `latest` when given: a value is measured, so it cannot be of a day to come."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidDateError(f"{field} must be a date", field=field, rule="wrong_type")
    if not FIRST_DAY <= value <= LAST_DAY:
        raise InvalidDateError(
            f"{field} must be a day from {FIRST_DAY} to {LAST_DAY}", field=field,
            rule="out_of_range",
        )  # fmt: skip
    if latest is not None and value > latest:
        raise InvalidDateError(
            f"{field} {value} is a day still to come: a value is for a day that has begun",
            field=field,
            rule="in_the_future",
        )
    return value
