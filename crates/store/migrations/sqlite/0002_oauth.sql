-- The OAuth 2.1 authorization server: apps, login sessions, consents, codes, token families.

CREATE TABLE apps (
    client_id     TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    owner_id      TEXT NOT NULL REFERENCES users(id),
    public        INTEGER NOT NULL,
    secret_hash   TEXT,                    -- SHA-256 of the client secret; NULL for public apps
    redirect_uris TEXT NOT NULL,           -- JSON array, matched exactly
    created_at    INTEGER NOT NULL
);
CREATE INDEX apps_by_owner ON apps(owner_id);

-- Tokens issued from one grant (an authorization code and its refresh chain) share a family,
-- so that code replay or refresh-token reuse can revoke them together.
ALTER TABLE tokens ADD COLUMN family_id TEXT;
ALTER TABLE tokens ADD COLUMN rotated_at INTEGER;
CREATE INDEX tokens_by_family ON tokens(family_id);
CREATE INDEX tokens_by_client_user ON tokens(client_id, user_id);

CREATE TABLE sessions (
    hash       TEXT PRIMARY KEY,           -- SHA-256 of the session cookie
    user_id    TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE consents (
    user_id    TEXT NOT NULL REFERENCES users(id),
    client_id  TEXT NOT NULL REFERENCES apps(client_id) ON DELETE CASCADE,
    scopes     TEXT NOT NULL,
    workspaces TEXT,                       -- JSON array when narrowed to some workspaces
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

CREATE TABLE auth_codes (
    hash           TEXT PRIMARY KEY,       -- SHA-256 of the code
    client_id      TEXT NOT NULL REFERENCES apps(client_id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(id),
    redirect_uri   TEXT NOT NULL,
    scopes         TEXT NOT NULL,
    workspaces     TEXT,
    code_challenge TEXT,
    family_id      TEXT NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER,
    created_at     INTEGER NOT NULL
);
