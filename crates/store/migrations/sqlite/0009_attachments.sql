-- Attachments (issue 16): the element an element is attached to, if any, so that a surface's
-- attachments and the workspace's top-level elements are found without reading every row.
-- An attached element has no box of its own (its place is its surface's): the R*Tree drops it.
ALTER TABLE elements ADD COLUMN surface_id TEXT;
CREATE INDEX elements_attached ON elements(workspace_id, surface_id) WHERE surface_id IS NOT NULL;
CREATE TRIGGER elements_box_clear AFTER UPDATE OF min_x ON elements WHEN new.min_x IS NULL BEGIN
    DELETE FROM elements_box WHERE id = new.rowid;
END;
