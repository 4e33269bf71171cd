-- A refresh token carries the session epoch (migration 0023) of the sign-in it continues,
-- and is spent only in that epoch. Revoking a person's tokens when their password changes
-- missed those stored while it ran: a refresh under way (its new token, not yet committed,
-- was unseen by the revocation) and a sign-in checked against the old password just
-- before the change kept a client signed in after it. Tokens stored before this carry 0:
-- those of a person who changed their password since 0023 sign in again.
ALTER TABLE refresh_tokens ADD COLUMN session_epoch integer NOT NULL DEFAULT 0;
