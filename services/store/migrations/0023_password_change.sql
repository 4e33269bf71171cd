-- A person changes their own password, giving the one they have (POST
-- /api/v1/auth/password/change, the portal's /account page). Whoever knew the old one may
-- hold a session or tokens made with it: a change moves the account to a new epoch, and a
-- portal session or access token carries the epoch it was issued in; one of an earlier
-- epoch signs nobody in again. The refresh tokens are revoked. The device the password
-- was changed on gets new ones.
ALTER TABLE users ADD COLUMN session_epoch integer NOT NULL DEFAULT 0;
GRANT SELECT (session_epoch), UPDATE (session_epoch) ON users TO okr_app;
