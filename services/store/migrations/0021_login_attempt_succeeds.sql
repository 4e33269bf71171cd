-- A sign-in attempt counts as a failure from its check until it succeeds (tenants/ratelimit):
-- attempts sent at once cannot all pass the check. The attempt that succeeds is then made a
-- success in place, so that an address's limit, which counts failures only, does not count it.
GRANT UPDATE (succeeded, attempted_at) ON login_attempts TO okr_app;
