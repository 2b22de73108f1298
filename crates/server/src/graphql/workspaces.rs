//! Changing and deleting workspaces: `updateWorkspace`, `updateWorkspaceStyle`,
//! `deleteWorkspace`, in the platform's shapes.

use super::types::{BackgroundTheme, Workspace};
use super::{core, principal, workspace_id, Gql};
use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use tessera_core::service::WorkspaceChanges;

#[derive(InputObject)]
pub struct UpdateWorkspaceInput {
    /// Archive the workspace (read-only until unarchived); `null` unarchives it.
    pub archived_at: MaybeUndefined<DateTime<Utc>>,
    /// Not supported: tessera does not classify workspaces.
    pub classification: Option<String>,
    /// Only `viewer`: the role organization members have on public workspaces.
    pub default_role_id: Option<String>,
    pub description: Option<String>,
    /// True means that all users in the organization have access to this workspace
    pub is_public: Option<bool>,
    pub name: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateWorkspaceStyleInput {
    pub background_theme: Option<BackgroundTheme>,
}

#[derive(SimpleObject)]
pub struct UpdateWorkspaceStyleResponse {
    /// id of modified workspace.
    pub workspace_id: String,
}

#[derive(Default)]
pub struct WorkspaceMutation;

fn bad_input(msg: &str) -> async_graphql::Error {
    super::gql_error(tessera_core::Error::bad_input(msg))
}

#[Object]
impl WorkspaceMutation {
    /// Change a workspace's name, description, visibility or archived state (its owners).
    async fn update_workspace(
        &self,
        ctx: &Context<'_>,
        input: UpdateWorkspaceInput,
        workspace_id: String,
    ) -> async_graphql::Result<Workspace> {
        let ws = self::workspace_id(workspace_id)?;
        if input.classification.is_some() {
            return Err(bad_input("classification is not supported"));
        }
        if input
            .default_role_id
            .as_deref()
            .is_some_and(|r| r != tessera_core::permission::PUBLIC_WORKSPACE_DEFAULT_ROLE)
        {
            return Err(bad_input(
                "defaultRoleId must be viewer: members of the organization view its public workspaces",
            ));
        }
        let archived_at = match input.archived_at {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(t) => Some(Some(t.timestamp_millis())),
        };
        let changes = WorkspaceChanges {
            name: input.name,
            description: input.description,
            is_public: input.is_public,
            archived_at,
            background_theme: None,
        };
        core(ctx).update_workspace(principal(ctx)?, &ws, changes).await.gql().map(Workspace)
    }

    /// Change a workspace's style (its owners); its subscribers receive an
    /// `UpdateWorkspaceCommand`.
    async fn update_workspace_style(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "new style of workspace")] input: UpdateWorkspaceStyleInput,
        workspace_id: String,
    ) -> async_graphql::Result<UpdateWorkspaceStyleResponse> {
        let ws = self::workspace_id(workspace_id)?;
        let changes = WorkspaceChanges {
            background_theme: input.background_theme.map(|t| t.as_str().to_string()),
            ..Default::default()
        };
        core(ctx).update_workspace(principal(ctx)?, &ws, changes).await.gql()?;
        Ok(UpdateWorkspaceStyleResponse { workspace_id: ws.0 })
    }

    /// Delete a workspace (its owners). Either way nothing reads it afterwards and its
    /// subscriptions end; `isPermanentDelete` also removes its content and history at once.
    async fn delete_workspace(
        &self,
        ctx: &Context<'_>,
        is_permanent_delete: bool,
        workspace_id: ID,
    ) -> async_graphql::Result<bool> {
        let ws = self::workspace_id(workspace_id.0)?;
        core(ctx).delete_workspace(principal(ctx)?, &ws, is_permanent_delete).await.gql()?;
        Ok(true)
    }
}
