-- Platform -> consultancy -> client tenants: the tenants themselves, the people and the API
-- keys that act on them, refresh tokens and login attempts, and the few SECURITY DEFINER
-- functions that resolve a principal before any tenant is set.
--
-- Platform tables (consultancies, users, consultancy_members, refresh_tokens, login_attempts)
-- have no tenant column and no row-level security. Tenant tables (tenants, keyed by id;
-- memberships; api_keys) FORCE row-level security on okr_tenant_ids(), like 0001.
-- Secrets are never selectable by the application role: it reads password and API key hashes
-- only through the definer functions below (column-level grants).

CREATE TABLE consultancies (
    id         uuid        PRIMARY KEY,
    name       text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tenants (
    id                      uuid        PRIMARY KEY,
    consultancy_id          uuid        NOT NULL REFERENCES consultancies (id),
    name                    text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    slug                    text        NOT NULL
        CHECK (char_length(slug) <= 63 AND slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    colour                  text        NOT NULL DEFAULT '#2563eb' CHECK (colour ~ '^#[0-9a-f]{6}$'),
    status                  text        NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'suspended')),
    fiscal_year_start_month smallint    NOT NULL DEFAULT 1
        CHECK (fiscal_year_start_month BETWEEN 1 AND 12),
    check_in_cadence_days   smallint    NOT NULL DEFAULT 7
        CHECK (check_in_cadence_days BETWEEN 1 AND 90),
    locale                  text        NOT NULL DEFAULT 'it'
        CHECK (locale ~ '^[a-z]{2,3}(-[A-Z]{2})?$'),
    created_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tenants_slug_key UNIQUE (consultancy_id, slug)
);

-- password_hash NULL: invited, no password set yet, cannot sign in.
CREATE TABLE users (
    id                uuid        PRIMARY KEY,
    email             text        NOT NULL
        CHECK (email = lower(email) AND char_length(email) BETWEEN 3 AND 254),
    display_name      text        NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 200),
    password_hash     text,
    is_platform_admin boolean     NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    disabled_at       timestamptz,
    CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE consultancy_members (
    consultancy_id uuid        NOT NULL REFERENCES consultancies (id) ON DELETE CASCADE,
    user_id        uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role           text        NOT NULL CHECK (role IN ('consultancy_admin', 'consultant')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consultancy_id, user_id)
);
CREATE INDEX consultancy_members_user_idx ON consultancy_members (user_id);

CREATE TABLE memberships (
    tenant_id  uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text        NOT NULL
        CHECK (role IN ('consultant', 'client_admin', 'client_member', 'client_viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

-- secret_hash = sha256 of the whole plaintext key (256 random bits: no slow KDF needed).
CREATE TABLE api_keys (
    tenant_id    uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid        NOT NULL,
    name         text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    prefix       text        NOT NULL CHECK (prefix ~ '^[0-9a-f]{12}$'),
    secret_hash  bytea       NOT NULL CHECK (octet_length(secret_hash) = 32),
    role         text        NOT NULL DEFAULT 'client_member'
        CHECK (role IN ('client_viewer', 'client_member')),
    created_by   uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    last_used_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT api_keys_prefix_key UNIQUE (prefix)
);

-- Opaque refresh tokens, stored as sha256, rotated on every use. A family is one sign-in:
-- presenting a token that was already used revokes the whole family (stolen token).
CREATE TABLE refresh_tokens (
    id         uuid        PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id  uuid        NOT NULL,
    token_hash bytea       NOT NULL CHECK (octet_length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz,
    CONSTRAINT refresh_tokens_hash_key UNIQUE (token_hash)
);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);

-- Sign-in attempts, for rate limiting across every process of the deployment.
CREATE TABLE login_attempts (
    email        text        NOT NULL,
    ip           inet        NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now(),
    succeeded    boolean     NOT NULL
);
CREATE INDEX login_attempts_email_idx ON login_attempts (email, attempted_at);
CREATE INDEX login_attempts_ip_idx ON login_attempts (ip, attempted_at);

-- Row-level security on the tenant tables. `tenants` is keyed by id: that is its tenant column.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants USING (id = ANY (okr_tenant_ids()))
    WITH CHECK (id = ANY (okr_tenant_ids()));

-- The definer functions run as the migrating login. A superuser skips RLS; a login that merely
-- owns the tables is still bound by FORCE, so it gets a read-only policy of its own (it could
-- switch RLS off anyway; the application role is never granted it).
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['memberships', 'api_keys'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant_id = ANY (okr_tenant_ids())) '
            'WITH CHECK (tenant_id = ANY (okr_tenant_ids()))', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['tenants', 'memberships', 'api_keys'] LOOP
        EXECUTE format('CREATE POLICY definer_read ON %I FOR SELECT TO %I USING (true)',
                       t, current_user);
    END LOOP;
END
$$;

-- Least privilege for the application role. Column lists keep secrets unreadable
-- (users.password_hash, api_keys.secret_hash) and keep is_platform_admin out of its reach:
-- only the admin login makes a platform admin.
GRANT SELECT, INSERT ON consultancies TO okr_app;
GRANT SELECT, INSERT ON tenants TO okr_app;
GRANT UPDATE (name, colour, status, fiscal_year_start_month, check_in_cadence_days, locale)
    ON tenants TO okr_app;
GRANT SELECT (id, email, display_name, is_platform_admin, created_at, disabled_at) ON users
    TO okr_app;
GRANT INSERT (id, email, display_name, password_hash) ON users TO okr_app;
GRANT UPDATE (display_name, password_hash, disabled_at) ON users TO okr_app;
GRANT SELECT, INSERT, DELETE ON consultancy_members TO okr_app;
GRANT UPDATE (role) ON consultancy_members TO okr_app;
GRANT SELECT, INSERT, DELETE ON memberships TO okr_app;
GRANT UPDATE (role) ON memberships TO okr_app;
GRANT SELECT (tenant_id, id, name, prefix, role, created_by, created_at, revoked_at, last_used_at)
    ON api_keys TO okr_app;
GRANT INSERT (tenant_id, id, name, prefix, secret_hash, role, created_by) ON api_keys TO okr_app;
GRANT UPDATE (revoked_at, last_used_at) ON api_keys TO okr_app;
GRANT SELECT, INSERT, DELETE ON refresh_tokens TO okr_app;
GRANT UPDATE (used_at, revoked_at) ON refresh_tokens TO okr_app;
GRANT SELECT, INSERT, DELETE ON login_attempts TO okr_app;

-- The tenants a user may act on, one row per tenant with the strongest role:
-- consultancy_admin reaches every tenant of its consultancies (suspended ones too, to manage
-- them); a membership counts while its tenant is active and, for a consultant, while the
-- user still belongs to the tenant's consultancy. A disabled user has none.
CREATE FUNCTION okr_user_grants(p_user uuid) RETURNS TABLE (tenant_id uuid, role text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT DISTINCT ON (g.tenant_id) g.tenant_id, g.role
      FROM (
        SELECT t.id AS tenant_id, cm.role, 1 AS strength
          FROM consultancy_members cm
          JOIN tenants t ON t.consultancy_id = cm.consultancy_id
         WHERE cm.user_id = p_user AND cm.role = 'consultancy_admin'
        UNION ALL
        SELECT m.tenant_id, m.role, 2
          FROM memberships m
          JOIN tenants t ON t.id = m.tenant_id
         WHERE m.user_id = p_user AND t.status = 'active'
           AND (m.role <> 'consultant' OR EXISTS (
                SELECT FROM consultancy_members c
                 WHERE c.consultancy_id = t.consultancy_id AND c.user_id = p_user))
      ) g
     WHERE EXISTS (SELECT FROM users u WHERE u.id = p_user AND u.disabled_at IS NULL)
     ORDER BY g.tenant_id, g.strength
$$;

-- The active key with this public prefix (its tenant active too), for verification.
CREATE FUNCTION okr_api_key_by_prefix(p_prefix text)
RETURNS TABLE (tenant_id uuid, id uuid, name text, role text, secret_hash bytea)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT k.tenant_id, k.id, k.name, k.role, k.secret_hash
      FROM api_keys k
      JOIN tenants t ON t.id = k.tenant_id
     WHERE k.prefix = p_prefix AND k.revoked_at IS NULL AND t.status = 'active'
$$;

-- The ids of a consultancy's tenants (the caller reads the rows under RLS).
CREATE FUNCTION okr_consultancy_tenants(p_consultancy uuid) RETURNS TABLE (tenant_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT t.id FROM tenants t WHERE t.consultancy_id = p_consultancy ORDER BY t.created_at, t.id
$$;

-- The password hash of an enabled user with a password, for sign-in only.
CREATE FUNCTION okr_user_credentials(p_email text)
RETURNS TABLE (user_id uuid, password_hash text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT u.id, u.password_hash
      FROM users u
     WHERE u.email = lower(p_email) AND u.disabled_at IS NULL AND u.password_hash IS NOT NULL
$$;

REVOKE ALL ON FUNCTION okr_user_grants(uuid), okr_api_key_by_prefix(text),
    okr_consultancy_tenants(uuid), okr_user_credentials(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION okr_user_grants(uuid), okr_api_key_by_prefix(text),
    okr_consultancy_tenants(uuid), okr_user_credentials(text) TO okr_app;
