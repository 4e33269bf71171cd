"""Every bad input is refused with a named error, the field at fault, and nothing written."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from tenants import validation as valid
from tenants.api_keys import create_api_key, list_api_keys
from tenants.directory import checked_settings, create_consultancy, create_tenant
from tenants.errors import (
    DuplicateEmailError,
    InvalidCadenceError,
    InvalidColourError,
    InvalidEmailError,
    InvalidLocaleError,
    InvalidMonthError,
    InvalidNameError,
    InvalidRoleError,
    InvalidSlugError,
    TenancyError,
    WeakPasswordError,
)
from tenants.memberships import add_membership, invite_member, list_members
from tenants.users import create_user
from tests.tenants.builders import a_consultancy, a_tenant, a_user, an_email


async def count(admin: asyncpg.Connection, table: str) -> int:
    return int(await admin.fetchval(f"SELECT count(*) FROM {table}"))


@pytest.mark.parametrize(
    ("change", "error", "field"),
    [
        ({"name": ""}, InvalidNameError, "name"),
        ({"name": "   "}, InvalidNameError, "name"),
        ({"name": "x" * 201}, InvalidNameError, "name"),
        ({"name": "Officina\x00Neri"}, InvalidNameError, "name"),  # no column stores a NUL
        ({"name": "Officina\x07Neri"}, InvalidNameError, "name"),
        ({"name": "Officina \u202eirEN"}, InvalidNameError, "name"),  # reads reversed
        ({"name": "Officina\u2028Neri"}, InvalidNameError, "name"),  # a line break
        ({"name": "\u200b\u2060"}, InvalidNameError, "name"),  # nothing to read
        ({"name": "\u3164"}, InvalidNameError, "name"),  # a Hangul filler
        ({"name": "\u2800\u115f"}, InvalidNameError, "name"),  # braille blank, a filler
        ({"name": "\ufe0f\u0301"}, InvalidNameError, "name"),  # marks on nothing
        ({"slug": "Not A Slug"}, InvalidSlugError, "slug"),
        ({"slug": "trailing-"}, InvalidSlugError, "slug"),
        ({"colour": "red"}, InvalidColourError, "colour"),
        ({"colour": "#12345"}, InvalidColourError, "colour"),
        ({"colour": "#gg0000"}, InvalidColourError, "colour"),
        ({"fiscal_year_start_month": 0}, InvalidMonthError, "fiscal_year_start_month"),
        ({"fiscal_year_start_month": 13}, InvalidMonthError, "fiscal_year_start_month"),
        ({"fiscal_year_start_month": True}, InvalidMonthError, "fiscal_year_start_month"),
        ({"check_in_cadence_days": 0}, InvalidCadenceError, "check_in_cadence_days"),
        ({"check_in_cadence_days": 91}, InvalidCadenceError, "check_in_cadence_days"),
        ({"locale": "italiano"}, InvalidLocaleError, "locale"),
        ({"locale": ""}, InvalidLocaleError, "locale"),
        ({"locale": "de"}, InvalidLocaleError, "locale"),  # a language the portal does not speak
        ({"locale": "zz-ZZ"}, InvalidLocaleError, "locale"),
    ],
)
async def test_a_bad_tenant_setting_is_named_and_creates_nothing(
    pool: asyncpg.Pool,
    admin: asyncpg.Connection,
    change: dict[str, Any],
    error: type[TenancyError],
    field: str,
) -> None:
    """The API tells the user which field to fix, and a half-made tenant never exists."""
    firm = await a_consultancy(pool)
    before = await count(admin, "tenants")
    arguments: dict[str, Any] = {"name": "Acme"} | change
    with pytest.raises(error) as refused:
        await create_tenant(pool, firm.id, **arguments)
    assert refused.value.field == field
    assert await count(admin, "tenants") == before


async def test_a_name_with_nothing_to_make_a_slug_of_takes_the_generic_one(
    pool: asyncpg.Pool,
) -> None:
    """ "!!!" or "株式会社" keep no letter of a slug: the client is "cliente", then "cliente-2",
    as the portal always made it (the directory refused it, naming a slug never sent)."""
    firm = await a_consultancy(pool)
    first = await create_tenant(pool, firm.id, name="!!!")
    second = await create_tenant(pool, firm.id, name="株式会社")
    assert (first.slug, second.slug) == ("cliente", "cliente-2")


def test_a_bad_setting_is_named_before_any_is_taken() -> None:
    """One bad field in an update must not let the good ones through: every setting given is
    checked before a row is touched (services.app.settings changes them; its tests show
    that a refused change writes nothing)."""
    with pytest.raises(InvalidColourError) as refused:
        checked_settings(name="Renamed", colour="blue")
    assert refused.value.field == "colour"
    assert checked_settings(name=" Renamed ", check_in_cadence_days=14) == {
        "name": "Renamed",
        "check_in_cadence_days": 14,
    }


@pytest.mark.parametrize(
    "email", ["", "anna", "anna@", "@example.it", "anna@example", "an na@example.it",
              "anna@exa mple.it", f"{'a' * 250}@example.it", "a@b@example.it"],
)  # fmt: skip
async def test_a_bad_email_is_named_and_creates_no_user(
    pool: asyncpg.Pool, admin: asyncpg.Connection, email: str
) -> None:
    """A typo in an address must be caught before an account nobody can reach is made."""
    before = await count(admin, "users")
    with pytest.raises(InvalidEmailError) as refused:
        await create_user(pool, email, "Anna")
    assert refused.value.field == "email"
    assert await count(admin, "users") == before


async def test_emails_are_stored_lower_cased_and_unique(pool: asyncpg.Pool) -> None:
    """Anna@X and anna@x are one person: two accounts would split her grants."""
    email = an_email()
    user = await create_user(pool, "  " + email.upper() + " ", "Anna")
    assert user.email == email
    with pytest.raises(DuplicateEmailError) as refused:
        await create_user(pool, email, "Anna again")
    assert refused.value.field == "email"


async def test_bad_user_fields_are_named(pool: asyncpg.Pool, admin: asyncpg.Connection) -> None:
    """Display names and passwords have bounds; breaking them names the field."""
    before = await count(admin, "users")
    with pytest.raises(InvalidNameError) as no_name:
        await create_user(pool, an_email(), "")
    with pytest.raises(WeakPasswordError) as short:
        await create_user(pool, an_email(), "Anna", password="short")
    assert (no_name.value.field, short.value.field) == ("display_name", "password")
    assert await count(admin, "users") == before


@pytest.mark.parametrize(
    "role", ["owner", "", "CLIENT_ADMIN", "platform_admin", "consultancy_admin"]
)
async def test_a_bad_membership_role_is_named_and_grants_nothing(
    pool: asyncpg.Pool, role: str
) -> None:
    """An unknown or out-of-place role is never stored (a tenant cannot make a platform admin)."""
    tenant, user = await a_tenant(pool), await a_user(pool)
    with pytest.raises(InvalidRoleError) as refused:
        await add_membership(pool, tenant.id, user.id, role)
    assert refused.value.field == "role"
    with pytest.raises(InvalidRoleError):
        await invite_member(pool, tenant.id, an_email(), "New", role)
    assert await list_members(pool, tenant.id) == []


async def test_a_bad_key_or_consultancy_name_is_named(pool: asyncpg.Pool) -> None:
    """Every name has the same bounds, wherever it is typed."""
    tenant = await a_tenant(pool)
    with pytest.raises(InvalidNameError):
        await create_api_key(pool, tenant.id, "")
    with pytest.raises(InvalidNameError):
        await create_consultancy(pool, "x" * 201)
    assert await list_api_keys(pool, tenant.id) == []


def test_validators_normalise_what_they_accept() -> None:
    """Equal inputs must store equally: case and spacing never make two different values."""
    assert valid.colour(" #A1B2C3 ") == "#a1b2c3"
    assert valid.locale("en_gb") == "en-GB"
    assert valid.slug_from("Caffè Ràpido & Figli S.r.l.") == "caffe-rapido-figli-s-r-l"
    assert valid.name("  Acme  ") == "Acme"


def test_every_tenancy_error_carries_a_rule() -> None:
    """The API turns errors into problem+json in one place, keyed on the rule slug."""
    for error in (InvalidEmailError, InvalidColourError, InvalidMonthError, InvalidRoleError):
        made = error("x", field="f")
        assert isinstance(made, TenancyError)
        assert made.rule and made.rule != TenancyError.default_rule


@pytest.mark.parametrize("email", ["a\x00@x.example", "a\x07b@x.example", "\u202ea@x.example"])
def test_an_email_with_a_control_character_is_refused(email: str) -> None:
    """A NUL reached the database (a 422 naming no field); a bell or an override is no
    address either."""
    with pytest.raises(InvalidEmailError) as err:
        valid.email(email)
    assert err.value.field == "email"


def test_a_name_with_a_control_character_names_its_rule() -> None:
    with pytest.raises(InvalidNameError) as err:
        valid.name("Ada\nLovelace", "display_name")
    assert (err.value.field, err.value.rule) == ("display_name", "control_character")
