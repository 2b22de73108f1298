-- Attachments (issue 16): the element an element is attached to, if any, so that a surface's
-- attachments and the workspace's top-level elements are found without reading every row.
-- An attached element has no box of its own (its place is its surface's).
ALTER TABLE elements ADD COLUMN surface_id TEXT;
CREATE INDEX elements_attached ON elements(workspace_id, surface_id) WHERE surface_id IS NOT NULL;
