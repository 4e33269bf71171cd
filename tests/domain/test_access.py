"""A change of access as the log records it: what it may be about, and what it refuses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from domain import AccessChange, DomainError, SettingsChange
from tests.domain.test_event_evolution import a_mapper


def change(**given: Any) -> AccessChange:
    fields: dict[str, Any] = {
        "subject": "member", "subject_id": "u-1", "tenant": "Esempio S.r.l.", "before": None,
        "after": "client_member", "author": "user:giulia",
    }  # fmt: skip
    return AccessChange.make(**{**fields, **given})


def test_a_change_keeps_what_it_is_about_before_after_and_who() -> None:
    made = change(before="client_member", after="client_viewer")
    assert (made.subject, made.subject_id, made.name, made.tenant) == (
        "member", "u-1", None, "Esempio S.r.l."
    )  # fmt: skip
    assert (made.before, made.after, made.author) == (
        "client_member",
        "client_viewer",
        "user:giulia",
    )
    key = change(subject="api_key", name="CRM", before="client_member", after=None)
    assert (key.name, key.after) == ("CRM", None)


def test_a_person_is_named_by_id_only() -> None:
    """Names and emails stay in the directory, where they can be changed or erased: the log
    cannot forget what it holds."""
    assert set(vars(change())) >= {"subject_id"}
    assert not {"email", "display_name"} & set(vars(change()))


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"subject": "consultancy"}, "subject"),  # only members, keys and the tenant
        ({"before": "client_member"}, "after"),  # nothing changed
        ({"before": None, "after": None}, "after"),
        ({"tenant": ""}, "tenant"),
        ({"name": "x" * 201}, "name"),
        ({"after": 7}, "after"),
        ({"author": ""}, "author"),
        ({"subject_id": ""}, "subject_id"),
        ({"reason": " "}, "reason"),  # a reason may be left out, not given blank
        ({"reason": "x" * 1001}, "reason"),
        ({"reason": 7}, "reason"),
    ],
)
def test_a_change_that_is_not_one_is_refused_naming_its_field(
    given: dict[str, object], field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        change(**given)
    assert refused.value.field == field


def test_a_name_is_kept_as_the_directory_checked_it() -> None:
    """The directory's names may hold what a title may not (a tab): never refused here
    after the directory took it, which would refuse a change it accepted."""
    assert change(tenant="Esempio\tS.r.l.").tenant == "Esempio\tS.r.l."


def test_a_v1_change_of_a_member_loads_without_the_name_and_email_it_kept() -> None:
    """Access changes stored by 2ae8472 (a member's name and email, no tenant's name) load
    as v2: the person by id only; a key keeps its name, the tenant gets its own."""
    mapper = a_mapper()
    for subject, name, email, tenant in (
        ("member", "Anna Conti", "anna@esempio.example", ""),
        ("api_key", "CRM", None, ""),
        ("tenant", "Esempio S.r.l.", None, "Esempio S.r.l."),
    ):
        v1 = {
            "timestamp": datetime.now(UTC), "originator_topic": "okr.AccessChange",
            "subject": subject, "subject_id": "s-1", "name": name, "email": email,
            "before": "x", "after": "y", "author": "user:giulia",
        }  # fmt: skip
        stored = StoredEvent(uuid4(), 1, "okr.AccessChange.Created", mapper.transcoder.encode(v1))
        event = mapper.to_domain_event(stored)
        assert isinstance(event, AccessChange.Created)
        assert event.reason is None
        assert not hasattr(event, "email")
        assert (event.name, event.tenant) == (name if subject == "api_key" else None, tenant)


def test_a_change_keeps_why_when_its_author_said() -> None:
    assert change().reason is None
    assert change(reason="  left the company\n").reason == "left the company"


def test_changes_stored_before_reasons_load_without_one() -> None:
    """An access change of v2 and a settings change of v1 took no reason: they load with
    none, as the history reads them."""
    mapper = a_mapper()
    settings = {
        "name": "E", "colour": "#2563eb", "fiscal_year_start_month": 1,
        "check_in_cadence_days": 7, "locale": "it",
    }  # fmt: skip
    for topic, state in (
        ("okr.AccessChange.Created", {
            "originator_topic": "okr.AccessChange", "subject": "tenant", "subject_id": "t",
            "name": None, "tenant": "E", "before": "active", "after": "suspended",
            "author": "user:giulia", "class_version": 2,
        }),
        ("okr.SettingsChange.Created", {
            "originator_topic": "okr.SettingsChange", "before": None, "after": settings,
            "author": "user:giulia",
        }),
    ):  # fmt: skip
        stamped = {"timestamp": datetime.now(UTC), **state}
        stored = StoredEvent(uuid4(), 1, topic, mapper.transcoder.encode(stamped))
        loaded = mapper.to_domain_event(stored)
        assert isinstance(loaded, AccessChange.Created | SettingsChange.Created)
        assert loaded.reason is None


def test_settings_stored_before_time_zones_load_with_utc() -> None:
    """A settings change of v2 knew no time zone: it loads with UTC before and after, the
    zone the tenant's days were cut in then (its history line says so, and a change
    from it reads "UTC → Europe/Rome")."""
    mapper = a_mapper()
    settings = {
        "name": "E", "colour": "#2563eb", "fiscal_year_start_month": 1,
        "check_in_cadence_days": 7, "locale": "it",
    }  # fmt: skip
    state = {
        "timestamp": datetime.now(UTC), "originator_topic": "okr.SettingsChange",
        "before": settings, "after": {**settings, "check_in_cadence_days": 14},
        "author": "user:giulia", "reason": None, "class_version": 2,
    }  # fmt: skip
    stored = StoredEvent(uuid4(), 1, "okr.SettingsChange.Created", mapper.transcoder.encode(state))
    loaded = mapper.to_domain_event(stored)
    assert isinstance(loaded, SettingsChange.Created) and loaded.before is not None
    assert (loaded.before["time_zone"], loaded.after["time_zone"]) == ("UTC", "UTC")
    assert loaded.after["check_in_cadence_days"] == 14
