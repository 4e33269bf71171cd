"""The projector: keeps the read-model tables in PostgreSQL in step with the tenant logs."""
