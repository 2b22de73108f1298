-- Abuse limits counted in the database, so that they hold across the nodes sharing it: one
-- row per limit and key (a SHA-256 of the account, address or person), with its window.
CREATE TABLE rate_counters (
    name         TEXT NOT NULL,
    key          TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (name, key)
);
