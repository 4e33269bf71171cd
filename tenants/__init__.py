"""Consultancies, client tenants, users, memberships and roles, tokens and API keys.

Who is acting (a `Principal`) and on which tenants. Nothing here imports `services`:
the composition root hands in the asyncpg pool (role okr_app) and the token settings.
"""
