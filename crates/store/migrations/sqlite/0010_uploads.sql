-- Uploads of asset files (issue 17): each file a client was given the right to upload, until
-- its element's asset is complete or the upload expires; and server-wide secrets shared by
-- every node (the key that signs download and upload URLs).
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    element_id TEXT NOT NULL,
    element_type TEXT NOT NULL,
    part TEXT NOT NULL,
    object TEXT NOT NULL,
    max_bytes BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX uploads_element ON uploads(workspace_id, element_id);
CREATE INDEX uploads_expiry ON uploads(expires_at);
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
