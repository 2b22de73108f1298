-- People whose organization memberships changed (removed, or given another role), with when:
-- every node polls this and makes their open subscriptions ask again what they may read.
CREATE TABLE access_changes (
    user_id TEXT NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX access_changes_by_time ON access_changes(at);
