"""Shapes every resource shares: request bodies, pages, what a write answers, units."""

from __future__ import annotations

from typing import Annotated, Generic, Literal, TypeVar
from uuid import UUID

import msgspec

from domain import values
from domain.errors import DomainError
from domain.values import Unit
from projections.choices import UnitKindText
from services.app.base import Written

T = TypeVar("T")

UnitKind = Literal["count", "percent", "currency", "hours", "score", "text"]

Owner = Annotated[
    str,
    msgspec.Meta(
        description="Who owns it: a person of the tenant by `user_id` (as `GET …/people` "
        "lists them; kept as `user:<user_id>`) or `user:<user_id>`, or a name as free text "
        "(someone without an account). Left out on a new item: you."
    ),
]


class Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A request body: unknown fields are an error, never ignored."""


class Out(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A response body."""


class Page(msgspec.Struct, Generic[T], kw_only=True, forbid_unknown_fields=True):
    """One page of a list; pass ``next_cursor`` as ``cursor`` for the next (null: the end)."""

    items: list[T]
    next_cursor: str | None = None


class WriteResult(Out, omit_defaults=True):
    """What a write recorded: the item, its new stream version (the ETag) and the tenant
    position written (X-OKR-Position; pass it as min_position to read your write). A write
    that recorded nothing (PATCH {}) answers the item's version and the log's head."""

    id: UUID
    version: int
    position: int
    check_in_id: UUID | None = None
    measurement_id: UUID | None = None
    fed_key_results: list[UUID] | None = None

    @classmethod
    def of(cls, written: Written) -> WriteResult:
        extra = written.extra
        fed = extra.get("fed_key_results")
        return cls(
            id=written.item_id,
            version=written.version,
            position=written.position,
            check_in_id=extra.get("check_in_id"),
            measurement_id=extra.get("measurement_id"),
            fed_key_results=None if fed is None else list(fed),
        )


class UnitIn(Body):
    """The unit of measured values: a kind, a currency for money, a label for text."""

    kind: UnitKind = "count"
    currency: str | None = None
    label: str | None = None

    def to_domain(self) -> Unit:
        """The domain's unit; a refusal names the field as the body has it (unit.currency,
        not the domain's currency)."""
        try:
            return values.unit(self.kind, self.currency, self.label)
        except DomainError as error:
            error.field = _UNIT_FIELDS.get(error.field or "", error.field)
            error.message = error.message.replace("unit_label", "unit.label")
            raise


_UNIT_FIELDS = {"unit_kind": "unit.kind", "currency": "unit.currency", "unit_label": "unit.label"}


class UnitOut(Out):
    """The unit of measured values."""

    kind: UnitKindText
    currency: str | None
    label: str | None

    @classmethod
    def of(cls, unit: Unit) -> UnitOut:
        return cls(kind=unit.kind.value, currency=unit.currency, label=unit.label)


def unit_of(unit: UnitIn | None) -> Unit | None:
    """The domain unit of an optional request unit (validated by the domain)."""
    return None if unit is None else unit.to_domain()


def owner_of(owner: str | None, caller: str) -> str:
    """The owner of a new item: the one sent, or the caller when none is (one sent empty is
    the domain's to refuse, not the caller's)."""
    return caller if owner is None else a_person(owner)


def a_person(owner: str) -> str:
    """An owner as the log names people: a bare `user_id` (as `GET …/users` gives it) is
    `user:<user_id>`; `user:<id>` and a name typed as text are kept as sent."""
    try:
        return f"user:{UUID(owner)}"
    except ValueError:
        return owner


def changed_owner(owner: str | msgspec.UnsetType) -> str | None:
    """A new owner sent with an edit (None: left out, unchanged), named as `a_person` names
    it."""
    return None if isinstance(owner, msgspec.UnsetType) else a_person(owner)


def given(value: T | msgspec.UnsetType) -> T | None:
    """A field of a change (PATCH) as a command takes it: None for one left out, which
    stays as it is (a null the field does not take was refused before: not_clearable)."""
    return None if isinstance(value, msgspec.UnsetType) else value
