"""A reader's words for history lines, in their language: numbers, units, dates and people
as the portal shows them, which the API's history says too (its Italian text)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from uuid import UUID

import msgspec

from projections.history import HistoryLine, render, with_names, words_of
from projections.history_text import (
    MEASURED_PARAMS,
    SCORE_PARAMS,
    said_person,
    score_places_of,
)
from services.i18n import Locale, Measured
from services.read import ItemNames

Units = Mapping[UUID, Measured]
"""The unit of each key result and KPI, by id (see units_of)."""


def units_of(items: ItemNames) -> Units:
    """The units of a tenant's key results and KPIs, for Phrases."""
    units: dict[UUID, Measured] = {}
    units.update(items.key_results)
    units.update(items.kpis)
    return units


class Phrases:
    """A reader's words for many history lines (a page, a download): each parameter value
    and each person is put in words once, not on every line that names it (a 24,000-line
    download put the same days, numbers and names in words about 160,000 times)."""

    def __init__(self, locale: Locale, names: dict[str, str], units: Units | None = None):
        self.locale, self.names, self.units = locale, names, units
        self._params: dict[str, str | None] = {}
        self._people: dict[str | None, str] = {}

    def param(self, text: str) -> str | None:
        """`Locale.param` of a value, said once."""
        try:
            return self._params[text]
        except KeyError:
            said = self._params[text] = self.locale.param(text, self.names)
            return said

    def person(self, actor: str | None) -> str:
        """`Locale.person` of an actor, said once."""
        said = self._people.get(actor)
        if said is None:
            said = self._people[actor] = self.locale.person(actor, self.names)
        return said

    def text(self, line: HistoryLine) -> str:
        """The sentence of a line in the reader's language, its values in local form, in
        their item's unit where `units` has it ("check-in € 118.000", "target revised 60 →
        55 clienti" read "check-in 118.000", "60 → 55")."""
        unit = None if self.units is None else self.units.get(line.item_id)
        measured = MEASURED_PARAMS.get(line.template, frozenset()) if unit is not None else ()
        if line.params.get("kind") == "milestone":  # done or not done: no unit (render)
            measured = ()
        words = words_of(line.template)
        params = {
            key: value if key in words or value is None else self.param(value)
            for key, value in line.params.items()
        }
        for key in measured:
            given = line.params.get(key)
            number = None if given is None else decimal_of(given)
            if unit is not None and number is not None:
                params[key] = self.locale.given(number, unit)
        for key in _OWNER_PARAMS.get(line.template, ()):
            owner = line.params.get(key)
            if owner is not None:  # a person, or words as typed: never a number or a day
                params[key] = self.person(owner)
        for key in SCORE_PARAMS.get(line.template, ()):
            number = decimal_of(line.params.get(key) or "")
            if number is not None:  # "0,70 → 0,82", as the chips show them (it read "0,7")
                places = score_places_of(line.template, line.params, key)  # (0,669 → 0,661)
                params[key] = self.locale.score(number, places)
        params["actor"] = self.person(line.actor)
        return render(line.template, params, self.locale.language)


_OWNER_PARAMS = {
    "objective.created": ("owner",),
    "objective.owner_changed": ("before", "after"),
    "key_result.owner_changed": ("before", "after"),
    "kpi.owner_changed": ("before", "after"),
}
"""The parameters of a line that name an owner: a person's name, or the owner as typed (an
owner "007" read "7", and "2026" "2.026", as numbers; the API's text said them as typed)."""


def decimal_of(text: str) -> Decimal | None:
    """A parameter as a number; None: it is not one (a name, a day, words)."""
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def in_language(
    lines: Iterable[HistoryLine], names: dict[str, str], language: str, units: Units
) -> list[HistoryLine]:
    """The API's history lines in a language, who acted by name (with_names): in Italian,
    each text as the portal says it (Phrases: "aggiornamento 19,2 ore per il 1 feb 2027",
    where it read "aggiornamento 19.2 per il 2027-02-01"); in English, numbers and days as
    stored (19.2, 2027-02-01), as it always said them."""
    if language != "it":
        return [with_names(line, names, language) for line in lines]
    phrases = Phrases(Locale(language), names, units)  # its text, not with_names' again
    return [
        msgspec.structs.replace(
            line, text=phrases.text(line), actor_name=said_person(line.actor, names, language)
        )
        for line in lines
    ]
