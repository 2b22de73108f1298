-- The security log: one log per organization, cursors in commit order (the counter row).
ALTER TABLE organizations ADD COLUMN security_cursor INTEGER NOT NULL DEFAULT 0;

CREATE TABLE security_events (
    org_id     TEXT NOT NULL REFERENCES organizations(id),
    cursor     INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    actor_id   TEXT,                       -- NULL: the operator's command line
    client_id  TEXT,
    detail     TEXT NOT NULL,              -- JSON; never a secret
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, cursor)
) WITHOUT ROWID;
