-- A tenant's time zone (an IANA name, checked with zoneinfo by tenants.validation): where
-- its days begin and end. "Today" of its pace, status and staleness, the day a check-in
-- without a date is of, the day an as-of date stands for, and the times its portal shows
-- all follow it. Instants stay stored as timestamptz (UTC).
--
-- Tenants made before this keep 'UTC', the zone their days were cut in until now: their
-- recorded business dates, as-of views and history read as they did, and no setting of
-- theirs changes without a change recorded in their log (a consultancy admin sets their
-- zone through PATCH /tenants/{id}, recorded with before and after). New tenants are given
-- one by the directory (Europe/Rome for locale "it"), never this default.
ALTER TABLE tenants ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC'
    CHECK (char_length(time_zone) BETWEEN 1 AND 64);
GRANT UPDATE (time_zone) ON tenants TO okr_app;
