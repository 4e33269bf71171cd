-- A sign-in attempt is kept from its check as being checked (succeeded NULL), then said to
-- have failed or succeeded, by its id (tenants/ratelimit): attempts sent at once count
-- against the limits while they are checked, and a success turns exactly its own attempt
-- into one (two overlapping successes of one email and address left a failure behind).
ALTER TABLE login_attempts ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE login_attempts ALTER COLUMN succeeded DROP NOT NULL;
CREATE INDEX login_attempts_id_idx ON login_attempts (id);

-- An IPv6 address counts as its /64 and an IPv4-mapped one as its IPv4 address since 0021's
-- code: the attempts kept before are counted the same way (an address known for an email
-- stopped being known).
UPDATE login_attempts SET ip = '0.0.0.0'::inet + (ip - '::ffff:0.0.0.0'::inet)
 WHERE family(ip) = 6 AND ip << '::ffff:0.0.0.0/96'::inet;
UPDATE login_attempts SET ip = set_masklen(network(set_masklen(ip, 64))::inet, 128)
 WHERE family(ip) = 6;
