-- Portal sessions ended by signing out.
--
-- A portal session is a signed cookie (services/portal/sessions.py): nothing of it is kept
-- on the server, so signing out only asked the browser to forget the cookie, and a copy of
-- it stayed valid until it expired (12 hours by default). A session signed out is kept
-- here, by its nonce, until the time it would have expired; a cookie whose nonce is here
-- signs nobody in.
CREATE TABLE portal_signed_out (
    nonce text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
GRANT SELECT, INSERT, DELETE ON portal_signed_out TO okr_app;
