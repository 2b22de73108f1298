-- Comments in the platform's shape (issue 16): the whole comment as JSON (blocks, parent,
-- traits, commenter), as elements are stored. Rows from before keep `data` NULL and are read
-- from their columns.
ALTER TABLE comments ADD COLUMN data TEXT;
CREATE INDEX comments_by_element ON comments(workspace_id, element_id, created_at);
