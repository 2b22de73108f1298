-- updateWorkspace, updateWorkspaceStyle and deleteWorkspace (issue 16). `updated_at` NULL: never
-- changed since created. A deleted workspace keeps only this row, with `deleted_at` set, which
-- nothing reads any longer.
ALTER TABLE workspaces ADD COLUMN updated_at INTEGER;
ALTER TABLE workspaces ADD COLUMN archived_at INTEGER;
ALTER TABLE workspaces ADD COLUMN deleted_at INTEGER;
ALTER TABLE workspaces ADD COLUMN background_theme TEXT;
-- Only owners delete a workspace.
UPDATE roles SET permissions = '["workspace:read","workspace:update","workspace:delete","element:create","element:update","element:delete","comment:create","collaborator:manage"]'
WHERE resource_type = 'workspace' AND id = 'owner';
