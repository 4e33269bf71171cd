"""Tiny builders: every call makes fresh ids and emails, so tests share one database safely."""

from __future__ import annotations

import uuid

import asyncpg

from tenants.directory import create_consultancy, create_tenant
from tenants.models import Consultancy, Tenant, User
from tenants.users import create_user

PASSWORD = "correct horse battery staple"


def an_email(who: str = "anna") -> str:
    return f"{who}.{uuid.uuid4().hex[:10]}@example.it"


def an_ip() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


async def a_consultancy(pool: asyncpg.Pool, name: str = "Studio Rossi") -> Consultancy:
    return await create_consultancy(pool, name)


async def a_tenant(
    pool: asyncpg.Pool, consultancy: Consultancy | None = None, name: str = "Acme Servizi"
) -> Tenant:
    owner = consultancy or await a_consultancy(pool)
    return await create_tenant(pool, owner.id, name)


async def a_user(pool: asyncpg.Pool, who: str = "anna", password: str | None = None) -> User:
    return await create_user(pool, an_email(who), who.title(), password=password)
