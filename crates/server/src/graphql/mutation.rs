//! Mutations. Each is one call into the core, which authorizes, validates, writes the change
//! and its event in one transaction.

use super::comments::{Comment, CommentInput};
use super::element_inputs::*;
use super::elements::*;
use super::types::{Collaborator, Role, Workspace};
use super::{core, element_id, org_id, principal, user_id, workspace_id, Gql};
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use tessera_core::element::ElementType as DomainType;
use tessera_core::service::NewWorkspace;

#[derive(InputObject)]
pub struct CreateWorkspaceInput {
    pub organization_id: String,
    pub name: String,
    pub is_public: bool,
    pub description: Option<String>,
    /// Only the caller (the default): workspaces are created by their owner.
    pub owner_id: Option<String>,
    /// Only `viewer` (the default): the role organization members have on public workspaces.
    pub default_role_id: Option<String>,
    /// Not supported: tessera neither archives nor copies workspaces, nor classifies them.
    pub archived_at: Option<chrono::DateTime<chrono::Utc>>,
    pub copy_from: Option<String>,
    pub classification: Option<String>,
}

#[derive(InputObject)]
pub struct AddCollaboratorInput {
    /// The user (or bot) id.
    pub id: String,
    pub workspace_role_id: String,
}

/// What tessera does not do with a new workspace, refused rather than ignored.
fn unsupported(input: &CreateWorkspaceInput, caller: &str) -> Option<&'static str> {
    if input.owner_id.as_deref().is_some_and(|o| o != caller) {
        return Some("ownerId must be the caller: a workspace is created by its owner");
    }
    if input.default_role_id.as_deref().is_some_and(|r| r != tessera_core::permission::PUBLIC_WORKSPACE_DEFAULT_ROLE) {
        return Some("defaultRoleId must be viewer: members of the organization view its public workspaces");
    }
    if input.archived_at.is_some() || input.copy_from.is_some() || input.classification.is_some() {
        return Some("archivedAt, copyFrom and classification are not supported");
    }
    None
}

#[derive(Default)]
pub struct Mutation;

impl Mutation {
    async fn create(
        &self,
        ctx: &Context<'_>,
        ws: String,
        ty: DomainType,
        input: serde_json::Value,
        relative_to: Option<String>,
    ) -> async_graphql::Result<tessera_core::element::Element> {
        let ws = workspace_id(ws)?;
        let origin = relative_to.map(|id| element_id("relativeToOriginOf", id)).transpose()?;
        core(ctx).create_element(principal(ctx)?, &ws, ty, input, origin.as_ref()).await.gql()
    }

    /// Create an image, document or video, with the upload forms of its file and preview.
    async fn create_asset(
        &self,
        ctx: &Context<'_>,
        ws: String,
        ty: DomainType,
        input: serde_json::Value,
        relative_to: Option<String>,
    ) -> async_graphql::Result<(tessera_core::element::Element, Option<UploadData>, Option<UploadData>)> {
        use tessera_core::element::asset::UploadPart;
        let ws = workspace_id(ws)?;
        let origin = relative_to.map(|id| element_id("relativeToOriginOf", id)).transpose()?;
        let assets = ctx.data_unchecked::<std::sync::Arc<crate::assets::Assets>>();
        let (el, handed) = assets.create(principal(ctx)?, &ws, ty, input, origin.as_ref()).await.gql()?;
        let (mut content, mut preview) = (None, None);
        for (u, form) in handed {
            let data = UploadData { upload_id: u.id, url: form.url, fields: JsonObject(form.fields.into()) };
            match u.part {
                UploadPart::Content => content = Some(data),
                UploadPart::Preview => preview = Some(data),
            }
        }
        Ok((el, content, preview))
    }

    async fn update(
        &self,
        ctx: &Context<'_>,
        ws: String,
        id: String,
        ty: DomainType,
        input: serde_json::Value,
    ) -> async_graphql::Result<UpdateElementResponse> {
        let ws = workspace_id(ws)?;
        let id = element_id("id", id)?;
        let el = core(ctx).update_element(principal(ctx)?, &ws, &id, ty, input).await.gql()?;
        Ok(UpdateElementResponse { id: el.id.0 })
    }
}

/// Where to upload an asset's file: POST `fields` and then the file (as `file`) to `url`.
#[derive(SimpleObject)]
pub struct UploadData {
    /// upload ID
    pub upload_id: String,
    /// URL for uploading asset data, valid for a limited time
    pub url: String,
    /// POST form data to supply on upload
    pub fields: JsonObject,
}

/// What `createImage` returns: the image element and the forms to upload its file and, when
/// a `previewFormat` was given, its preview.
#[derive(SimpleObject)]
pub struct CreateImageResponse {
    pub content: Option<UploadData>,
    pub preview: Option<UploadData>,
    pub image: Image,
}

// Merged into the schema's `Mutation` (see `Mutations`); this name never shows.
#[Object(name = "ElementMutation")]
impl Mutation {
    async fn create_workspace(
        &self,
        ctx: &Context<'_>,
        input: CreateWorkspaceInput,
    ) -> async_graphql::Result<Workspace> {
        let p = principal(ctx)?;
        if let Some(why) = unsupported(&input, p.user.id.as_str()) {
            return Err(super::gql_error(tessera_core::Error::bad_input(why)));
        }
        let new = NewWorkspace {
            org_id: org_id(input.organization_id)?,
            name: input.name,
            description: input.description,
            is_public: input.is_public,
        };
        core(ctx).create_workspace(p, new).await.gql().map(Workspace)
    }

    async fn add_workspace_collaborator(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        input: AddCollaboratorInput,
    ) -> async_graphql::Result<Collaborator> {
        let ws = self::workspace_id(workspace_id)?;
        let user = user_id("id", input.id)?;
        let core = core(ctx);
        let added = core.add_collaborator(principal(ctx)?, &ws, &user, &input.workspace_role_id).await.gql()?;
        Ok(Collaborator::new(added, core.role_book()))
    }

    /// Give a collaborator another workspace role (`defaultRoleId`); the role it now has.
    async fn update_collaborator_role(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        user_id: String,
        default_role_id: String,
    ) -> async_graphql::Result<Role> {
        let ws = self::workspace_id(workspace_id)?;
        let user = super::user_id("userId", user_id)?;
        let core = core(ctx);
        let changed = core.update_collaborator_role(principal(ctx)?, &ws, &user, &default_role_id).await.gql()?;
        Ok(Collaborator::new(changed, core.role_book()).role)
    }

    async fn delete_workspace_collaborator(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        collaborator_id: String,
    ) -> async_graphql::Result<bool> {
        let ws = self::workspace_id(workspace_id)?;
        let user = user_id("collaboratorId", collaborator_id)?;
        core(ctx).remove_collaborator(principal(ctx)?, &ws, &user).await.gql()?;
        Ok(true)
    }

    async fn create_text(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "When set, the input's coordinates are relative to this element's origin.")]
        relative_to_origin_of: Option<String>,
        workspace_id: String,
        input: CreateTextInput,
    ) -> async_graphql::Result<Text> {
        let el = self.create(ctx, workspace_id, DomainType::Text, to_json(&input), relative_to_origin_of).await?;
        Ok(Text(el, Around::default()))
    }

    async fn update_text(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        id: String,
        input: UpdateTextInput,
    ) -> async_graphql::Result<UpdateElementResponse> {
        self.update(ctx, workspace_id, id, DomainType::Text, to_json(&input)).await
    }

    async fn create_shape(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "When set, the input's coordinates are relative to this element's origin.")]
        relative_to_origin_of: Option<String>,
        workspace_id: String,
        input: CreateShapeInput,
    ) -> async_graphql::Result<Shape> {
        let el = self.create(ctx, workspace_id, DomainType::Shape, to_json(&input), relative_to_origin_of).await?;
        Ok(Shape(el, Around::default()))
    }

    async fn update_shape(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        id: String,
        input: UpdateShapeInput,
    ) -> async_graphql::Result<UpdateElementResponse> {
        self.update(ctx, workspace_id, id, DomainType::Shape, to_json(&input)).await
    }

    async fn create_canvas(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "When set, the input's coordinates are relative to this element's origin.")]
        relative_to_origin_of: Option<String>,
        workspace_id: String,
        input: CreateCanvasInput,
    ) -> async_graphql::Result<Canvas> {
        let el = self.create(ctx, workspace_id, DomainType::Canvas, to_json(&input), relative_to_origin_of).await?;
        Ok(Canvas(el, Around::default()))
    }

    async fn update_canvas(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        id: String,
        input: UpdateCanvasInput,
    ) -> async_graphql::Result<UpdateElementResponse> {
        self.update(ctx, workspace_id, id, DomainType::Canvas, to_json(&input)).await
    }

    async fn create_stroke(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "When set, the input's coordinates are relative to this element's origin.")]
        relative_to_origin_of: Option<String>,
        workspace_id: String,
        input: CreateStrokeInput,
    ) -> async_graphql::Result<Stroke> {
        let el = self.create(ctx, workspace_id, DomainType::Stroke, to_json(&input), relative_to_origin_of).await?;
        Ok(Stroke(el, Around::default()))
    }

    async fn update_stroke(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        id: String,
        input: UpdateStrokeInput,
    ) -> async_graphql::Result<UpdateElementResponse> {
        self.update(ctx, workspace_id, id, DomainType::Stroke, to_json(&input)).await
    }

    async fn create_line(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "When set, the input's coordinates are relative to this element's origin.")]
        relative_to_origin_of: Option<String>,
        workspace_id: String,
        input: CreateLineInput,
    ) -> async_graphql::Result<Line> {
        let el = self.create(ctx, workspace_id, DomainType::Line, to_json(&input), relative_to_origin_of).await?;
        Ok(Line(el, Around::default()))
    }

    async fn update_line(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        id: String,
        input: UpdateLineInput,
    ) -> async_graphql::Result<UpdateElementResponse> {
        self.update(ctx, workspace_id, id, DomainType::Line, to_json(&input)).await
    }

    async fn create_image(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "When set, the input's coordinates are relative to this element's origin.")]
        relative_to_origin_of: Option<String>,
        workspace_id: String,
        input: CreateImageInput,
    ) -> async_graphql::Result<CreateImageResponse> {
        let (el, content, preview) =
            self.create_asset(ctx, workspace_id, DomainType::Image, to_json(&input), relative_to_origin_of).await?;
        Ok(CreateImageResponse { content, preview, image: Image(el, Around::default()) })
    }

    async fn update_image(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        id: String,
        input: UpdateImageInput,
    ) -> async_graphql::Result<UpdateElementResponse> {
        self.update(ctx, workspace_id, id, DomainType::Image, to_json(&input)).await
    }

    /// Progress asset upload to processing: the file of upload `id` is uploaded (or, with
    /// `input.errorCode`, could not be, and the asset fails with that reason). Processing runs
    /// in the background; `UploadAssetCommand`s on the workspace's log tell how it ends.
    async fn process_asset(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        #[graphql(desc = "asset upload id")] id: String,
        input: TransferCompleteInput,
    ) -> async_graphql::Result<bool> {
        let ws = self::workspace_id(workspace_id)?;
        let failure = input.error_code.map(|code| match input.error_message {
            Some(m) => format!("the upload failed: {code}: {m}"),
            None => format!("the upload failed: {code}"),
        });
        let assets = ctx.data_unchecked::<std::sync::Arc<crate::assets::Assets>>();
        assets.process(principal(ctx)?, &ws, &id, failure).await.gql()?;
        Ok(true)
    }

    /// Delete any element.
    async fn delete(&self, ctx: &Context<'_>, workspace_id: String, id: String) -> async_graphql::Result<bool> {
        let ws = self::workspace_id(workspace_id)?;
        let id = element_id("id", id)?;
        core(ctx).delete_element(principal(ctx)?, &ws, &id).await.gql()?;
        Ok(true)
    }

    /// Comment on an element (a reply, with `parentId`).
    async fn create_comment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "comment to add to the element")] input: CommentInput,
        #[graphql(desc = "target workspace element id")] id: ID,
        workspace_id: String,
    ) -> async_graphql::Result<Comment> {
        let ws = self::workspace_id(workspace_id)?;
        let element = element_id("id", id.0)?;
        let new = input.into_new()?;
        core(ctx).create_comment(principal(ctx)?, &ws, &element, new).await.gql().map(Comment)
    }

    async fn create_document(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "When set, the input's coordinates are relative to this element's origin.")]
        relative_to_origin_of: Option<String>,
        workspace_id: String,
        input: CreateDocumentInput,
    ) -> async_graphql::Result<CreateDocumentResponse> {
        let (el, content, preview) =
            self.create_asset(ctx, workspace_id, DomainType::Document, to_json(&input), relative_to_origin_of).await?;
        Ok(CreateDocumentResponse { content, preview, document: Document(el, Around::default()) })
    }

    async fn update_document(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        id: String,
        input: UpdateDocumentInput,
    ) -> async_graphql::Result<UpdateElementResponse> {
        self.update(ctx, workspace_id, id, DomainType::Document, to_json(&input)).await
    }

    async fn create_video(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "When set, the input's coordinates are relative to this element's origin.")]
        relative_to_origin_of: Option<String>,
        workspace_id: String,
        input: CreateVideoInput,
    ) -> async_graphql::Result<CreateVideoResponse> {
        let (el, content, preview) =
            self.create_asset(ctx, workspace_id, DomainType::Video, to_json(&input), relative_to_origin_of).await?;
        Ok(CreateVideoResponse { content, preview, video: Video(el, Around::default()) })
    }

    async fn update_video(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        id: String,
        input: UpdateVideoInput,
    ) -> async_graphql::Result<UpdateElementResponse> {
        self.update(ctx, workspace_id, id, DomainType::Video, to_json(&input)).await
    }

    async fn create_browser(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "When set, the input's coordinates are relative to this element's origin.")]
        relative_to_origin_of: Option<String>,
        workspace_id: String,
        input: CreateBrowserInput,
    ) -> async_graphql::Result<Browser> {
        let el = self.create(ctx, workspace_id, DomainType::Browser, to_json(&input), relative_to_origin_of).await?;
        Ok(Browser(el, Around::default()))
    }

    async fn update_browser(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        id: String,
        input: UpdateBrowserInput,
    ) -> async_graphql::Result<UpdateElementResponse> {
        self.update(ctx, workspace_id, id, DomainType::Browser, to_json(&input)).await
    }

    async fn create_grid(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "When set, the input's coordinates are relative to this element's origin.")]
        relative_to_origin_of: Option<String>,
        workspace_id: String,
        input: CreateGridInput,
    ) -> async_graphql::Result<Grid> {
        let el = self.create(ctx, workspace_id, DomainType::Grid, to_json(&input), relative_to_origin_of).await?;
        Ok(Grid(el, Around::default()))
    }

    async fn update_grid(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        id: String,
        input: UpdateGridInput,
    ) -> async_graphql::Result<UpdateElementResponse> {
        self.update(ctx, workspace_id, id, DomainType::Grid, to_json(&input)).await
    }

    async fn create_icon(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "When set, the input's coordinates are relative to this element's origin.")]
        relative_to_origin_of: Option<String>,
        workspace_id: String,
        input: CreateIconInput,
    ) -> async_graphql::Result<Icon> {
        let el = self.create(ctx, workspace_id, DomainType::Icon, to_json(&input), relative_to_origin_of).await?;
        Ok(Icon(el, Around::default()))
    }

    async fn update_icon(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        id: String,
        input: UpdateIconInput,
    ) -> async_graphql::Result<UpdateElementResponse> {
        self.update(ctx, workspace_id, id, DomainType::Icon, to_json(&input)).await
    }

    async fn create_window(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "When set, the input's coordinates are relative to this element's origin.")]
        relative_to_origin_of: Option<String>,
        workspace_id: String,
        input: CreateWindowInput,
    ) -> async_graphql::Result<Window> {
        let el = self.create(ctx, workspace_id, DomainType::Window, to_json(&input), relative_to_origin_of).await?;
        Ok(Window(el, Around::default()))
    }

    async fn update_window(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        id: String,
        input: UpdateWindowInput,
    ) -> async_graphql::Result<UpdateElementResponse> {
        self.update(ctx, workspace_id, id, DomainType::Window, to_json(&input)).await
    }
}

/// What `createDocument` returns: the document element and its upload forms.
#[derive(SimpleObject)]
pub struct CreateDocumentResponse {
    pub content: Option<UploadData>,
    pub preview: Option<UploadData>,
    pub document: Document,
}

/// What `createVideo` returns: the video element and its upload forms.
#[derive(SimpleObject)]
pub struct CreateVideoResponse {
    pub content: Option<UploadData>,
    pub preview: Option<UploadData>,
    pub video: Video,
}

/// How an upload ended, as the client saw it (the platform's `TransferCompleteInput`).
#[derive(async_graphql::InputObject)]
pub struct TransferCompleteInput {
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// (An S3 multipart upload's id: tessera's uploads are single POSTs, and ignore it.)
    pub multipart_upload_id: Option<String>,
}
