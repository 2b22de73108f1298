-- `elements(overlaps:)` and `canvasId` (issue 16): each element's box on the canvas, in an
-- R*Tree whose first dimension is the workspace (its rowid), so that a viewport query reads
-- only the elements it covers. The R*Tree stores 32-bit floats rounded outwards; queries check
-- the exact box in `elements` after it. Triggers keep it in step with `elements`. Rows written
-- before this migration get their box from the server when it starts (see backfill.rs).
ALTER TABLE elements ADD COLUMN min_x REAL;
ALTER TABLE elements ADD COLUMN min_y REAL;
ALTER TABLE elements ADD COLUMN max_x REAL;
ALTER TABLE elements ADD COLUMN max_y REAL;
CREATE VIRTUAL TABLE elements_box USING rtree(id, ws_lo, ws_hi, min_x, max_x, min_y, max_y);
CREATE TRIGGER elements_box_insert AFTER INSERT ON elements WHEN new.min_x IS NOT NULL BEGIN
    INSERT INTO elements_box
    SELECT new.rowid, w.rowid, w.rowid, new.min_x, new.max_x, new.min_y, new.max_y
    FROM workspaces w WHERE w.id = new.workspace_id;
END;
CREATE TRIGGER elements_box_update AFTER UPDATE OF min_x, min_y, max_x, max_y ON elements
WHEN new.min_x IS NOT NULL BEGIN
    INSERT OR REPLACE INTO elements_box
    SELECT new.rowid, w.rowid, w.rowid, new.min_x, new.max_x, new.min_y, new.max_y
    FROM workspaces w WHERE w.id = new.workspace_id;
END;
CREATE TRIGGER elements_box_delete AFTER DELETE ON elements BEGIN
    DELETE FROM elements_box WHERE id = old.rowid;
END;

-- `elements(when:)`: every state of every element, written in the transaction of the event
-- that made it (`data` NULL: deleted), so that an instant reads the latest state before it of
-- each element without replaying the log. Filled from the log for earlier events at start.
CREATE TABLE element_versions (
    workspace_id TEXT NOT NULL,
    element_id   TEXT NOT NULL,
    cursor       INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    data         TEXT,
    -- the element's box then, so that `when` with a viewport reads only what it covers
    min_x        REAL,
    min_y        REAL,
    max_x        REAL,
    max_y        REAL,
    PRIMARY KEY (workspace_id, element_id, cursor)
);
-- Each element's versions by time: the newest at an instant is found without reading the rows.
CREATE INDEX element_versions_by_time ON element_versions(workspace_id, element_id, at, cursor);

-- One-time data work done by the server after a migration (name, when it finished).
CREATE TABLE backfills (
    name    TEXT PRIMARY KEY,
    done_at INTEGER NOT NULL
);
