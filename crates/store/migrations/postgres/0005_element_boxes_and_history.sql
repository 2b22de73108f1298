-- `elements(overlaps:)` and `canvasId` (issue 16): each element's box on the canvas, with a
-- GiST index on it, so that a viewport query reads only the elements it covers. Rows written
-- before this migration get their box from the server when it starts (see backfill.rs).
ALTER TABLE elements ADD COLUMN min_x DOUBLE PRECISION, ADD COLUMN min_y DOUBLE PRECISION,
    ADD COLUMN max_x DOUBLE PRECISION, ADD COLUMN max_y DOUBLE PRECISION;
CREATE INDEX elements_box ON elements USING gist (box(point(min_x, min_y), point(max_x, max_y)))
    WHERE min_x IS NOT NULL;

-- `elements(when:)`: every state of every element, written in the transaction of the event
-- that made it (`data` NULL: deleted), so that an instant reads the latest state before it of
-- each element without replaying the log. Filled from the log for earlier events at start.
CREATE TABLE element_versions (
    workspace_id TEXT NOT NULL,
    element_id   TEXT NOT NULL,
    cursor       BIGINT NOT NULL,
    at           BIGINT NOT NULL,
    data         TEXT,
    -- the element's box then, so that `when` with a viewport reads only what it covers
    min_x        DOUBLE PRECISION,
    min_y        DOUBLE PRECISION,
    max_x        DOUBLE PRECISION,
    max_y        DOUBLE PRECISION,
    PRIMARY KEY (workspace_id, element_id, cursor)
);
-- Each element's versions by time: the newest at an instant is found without reading the rows.
CREATE INDEX element_versions_by_time ON element_versions(workspace_id, element_id, at, cursor);

-- One-time data work done by the server after a migration (name, when it finished).
CREATE TABLE backfills (
    name    TEXT PRIMARY KEY,
    done_at BIGINT NOT NULL
);
