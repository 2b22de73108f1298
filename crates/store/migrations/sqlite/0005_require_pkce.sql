-- Apps registered from now on require PKCE of every client unless registered otherwise; apps
-- registered before keep the old rule (confidential clients may omit it).
ALTER TABLE apps ADD COLUMN require_pkce INTEGER NOT NULL DEFAULT 0;
