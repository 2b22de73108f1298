-- tessera foundation schema: identities, workspaces, roles, elements, and the event log.
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
    created_at INTEGER NOT NULL
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
    created_at    INTEGER NOT NULL,
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
    expires_at INTEGER,
    revoked_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX tokens_by_user ON tokens(user_id);

CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    is_public   INTEGER NOT NULL,
    owner_id    TEXT NOT NULL REFERENCES users(id),
    last_cursor INTEGER NOT NULL DEFAULT 0, -- the cursor of the newest event; bumped in each writing transaction
    created_at  INTEGER NOT NULL
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
    z_index      INTEGER NOT NULL,
    data         TEXT NOT NULL,            -- the whole element as JSON
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE comments (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    element_id   TEXT,
    author_id    TEXT NOT NULL REFERENCES users(id),
    text         TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);

-- The append-only event log: the source of truth for subscriptions.
CREATE TABLE events (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    cursor       INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    actor_type   TEXT NOT NULL,
    client_id    TEXT,
    payload      TEXT NOT NULL,            -- JSON
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, cursor)
) WITHOUT ROWID;
