-- tessera on PostgreSQL: the same schema as migrations/sqlite/0001-0003, in one step.
-- Identities, workspaces, roles, elements, the event log, and the OAuth 2.1 server's tables.
-- Timestamps are milliseconds since the Unix epoch.

CREATE TABLE roles (
    resource_type TEXT NOT NULL,          -- 'organization' | 'workspace'
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    permissions   TEXT NOT NULL,          -- JSON array of permission keys
    PRIMARY KEY (resource_type, id)
);

INSERT INTO roles (resource_type, id, name, description, permissions) VALUES
 ('workspace', 'owner', 'Owner', 'Full control of the workspace, its content and its collaborators',
  '["workspace:read","workspace:update","element:create","element:update","element:delete","comment:create","collaborator:manage"]'),
 ('workspace', 'editor-plus', 'Editor Plus', 'Edits content and manages collaborators',
  '["workspace:read","element:create","element:update","element:delete","comment:create","collaborator:manage"]'),
 ('workspace', 'editor', 'Editor', 'Creates, changes and deletes content',
  '["workspace:read","element:create","element:update","element:delete","comment:create"]'),
 ('workspace', 'commenter', 'Commenter', 'Reads content and comments on it',
  '["workspace:read","comment:create"]'),
 ('workspace', 'viewer', 'Viewer', 'Reads content',
  '["workspace:read"]'),
 ('organization', 'owner', 'Owner', 'Owns the organization',
  '["org:read","org:manage","workspace:create"]'),
 ('organization', 'admin', 'Admin', 'Administers the organization',
  '["org:read","org:manage","workspace:create"]'),
 ('organization', 'user', 'User', 'A member who can create workspaces',
  '["org:read","workspace:create"]'),
 ('organization', 'guest', 'Guest', 'A member who only joins workspaces they are invited to',
  '["org:read"]');

CREATE TABLE organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('user', 'bot')),
    email         TEXT,                    -- people only; unique case-insensitively
    email_lower   TEXT UNIQUE,
    first_name    TEXT NOT NULL,
    last_name     TEXT NOT NULL,
    password_hash TEXT,                    -- Argon2id PHC string; people only
    bot_org_id    TEXT REFERENCES organizations(id),
    created_at    BIGINT NOT NULL,
    CHECK ((kind = 'bot') = (bot_org_id IS NOT NULL))
);

CREATE TABLE org_members (
    org_id  TEXT NOT NULL REFERENCES organizations(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    role_id TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_by_user ON org_members(user_id);

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    hash       TEXT NOT NULL UNIQUE,       -- SHA-256 of the token; the token itself is never stored
    kind       TEXT NOT NULL,              -- 'bot' | 'access'
    user_id    TEXT NOT NULL REFERENCES users(id),
    client_id  TEXT,
    scopes     TEXT NOT NULL,
    workspaces TEXT,                       -- JSON array of workspace ids, when narrowed
    expires_at BIGINT,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL,
    family_id  TEXT,                       -- tokens from one grant (code + refresh chain) or one bot token
    rotated_at BIGINT
);
CREATE INDEX tokens_by_user ON tokens(user_id);

CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    is_public   BIGINT NOT NULL,           -- 0 or 1, as in SQLite
    owner_id    TEXT NOT NULL REFERENCES users(id),
    last_cursor BIGINT NOT NULL DEFAULT 0, -- the cursor of the newest event; bumped in each writing transaction
    created_at  BIGINT NOT NULL
);
CREATE INDEX workspaces_by_org ON workspaces(org_id);

CREATE TABLE collaborators (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    user_id      TEXT NOT NULL REFERENCES users(id),
    role_id      TEXT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX collaborators_by_user ON collaborators(user_id);

CREATE TABLE elements (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    id           TEXT NOT NULL,
    type         TEXT NOT NULL,
    z_index      BIGINT NOT NULL,
    data         TEXT NOT NULL,            -- the whole element as JSON
    seq          BIGSERIAL,                -- creation order (SQLite's rowid)
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE comments (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    element_id   TEXT,
    author_id    TEXT NOT NULL REFERENCES users(id),
    text         TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

-- The append-only event log: the source of truth for subscriptions.
CREATE TABLE events (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    cursor       BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    actor_type   TEXT NOT NULL,
    client_id    TEXT,
    payload      TEXT NOT NULL,            -- JSON
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, cursor)
);

-- The OAuth 2.1 authorization server: apps, login sessions, consents, codes, token families.

CREATE TABLE apps (
    client_id     TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    owner_id      TEXT NOT NULL REFERENCES users(id),
    public        BIGINT NOT NULL,         -- 0 or 1
    secret_hash   TEXT,                    -- SHA-256 of the client secret; NULL for public apps
    redirect_uris TEXT NOT NULL,           -- JSON array, matched exactly
    created_at    BIGINT NOT NULL
);
CREATE INDEX apps_by_owner ON apps(owner_id);

-- Tokens issued from one grant (an authorization code and its refresh chain) share a family,
-- so that code replay or refresh-token reuse can revoke them together.
CREATE INDEX tokens_by_family ON tokens(family_id);
CREATE INDEX tokens_by_client_user ON tokens(client_id, user_id);

CREATE TABLE sessions (
    hash       TEXT PRIMARY KEY,           -- SHA-256 of the session cookie
    user_id    TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE consents (
    user_id    TEXT NOT NULL REFERENCES users(id),
    client_id  TEXT NOT NULL REFERENCES apps(client_id) ON DELETE CASCADE,
    scopes     TEXT NOT NULL,
    workspaces TEXT,                       -- JSON array when narrowed to some workspaces
    created_at BIGINT NOT NULL,
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
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT,
    created_at     BIGINT NOT NULL
);

-- Every node polls the newest revocation time to notice revocations made elsewhere.
CREATE INDEX tokens_by_revoked_at ON tokens(revoked_at);
