//! Comments on elements, in the platform's shapes: `Comment` with its blocks, the
//! `createComment` input, and how `Element.comments` reads them.

use super::element_inputs::{to_json, JsonObject};
use super::paging::datetime;
use super::types::GqlActorType;
use super::{core, principal, Gql};
use async_graphql::{
    Context, Enum, InputObject, InputValueResult, Object, Scalar, ScalarType, SimpleObject, Value as GqlValue, ID,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use tessera_core::ids::{ElementId, WorkspaceId};
use tessera_core::model;

pub struct Comment(pub model::Comment);

/// One inline item of a comment: `{"text": …}` or `{"mention": {"targetType", "targetId"}}`.
#[derive(Clone, Debug)]
pub struct InlineCommentContentJson(pub Value);

#[Scalar(name = "InlineCommentContentJSON")]
impl ScalarType for InlineCommentContentJson {
    fn parse(value: GqlValue) -> InputValueResult<Self> {
        Ok(InlineCommentContentJson(value.into_json()?))
    }
    fn to_value(&self) -> GqlValue {
        GqlValue::from_json(self.0.clone()).unwrap_or(GqlValue::Null)
    }
}

/// A paragraph of a comment.
#[derive(SimpleObject)]
pub struct CommentBlock {
    /// Structured comment content.
    pub content: Vec<InlineCommentContentJson>,
}

#[Object]
impl Comment {
    async fn id(&self) -> ID {
        ID(self.0.id.0.clone())
    }
    /// Parent comment id.
    async fn parent_id(&self) -> Option<&str> {
        self.0.parent_id.as_ref().map(|p| p.0.as_str())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        datetime(self.0.created_at)
    }
    /// Identity of commenter.
    async fn actor_id(&self) -> ID {
        ID(self.0.author_id.0.clone())
    }
    async fn actor_type(&self) -> GqlActorType {
        self.0.author_type.into()
    }
    /// Text contents of `.blocks`, extracted without structure and joined by newline characters.
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// First and last name of the commenter, as they were when the comment was made.
    async fn commenter_name(&self) -> &str {
        &self.0.commenter_name
    }
    /// JSON-LD-conforming document representing arbitrary persistent metadata of the comment.
    async fn traits(&self) -> Option<JsonObject> {
        self.0.traits.clone().map(JsonObject)
    }
    /// Blocks of comment text.
    async fn blocks(&self) -> Vec<CommentBlock> {
        let block = |b: tessera_core::comment::CommentBlock| CommentBlock {
            content: b.content.into_iter().map(InlineCommentContentJson).collect(),
        };
        self.0.blocks().into_iter().map(block).collect()
    }
    /// The workspace (tessera's addition).
    async fn workspace_id(&self) -> ID {
        ID(self.0.workspace_id.0.clone())
    }
    /// The element commented on (tessera's addition; null only for comments made by an
    /// earlier version).
    async fn element_id(&self) -> Option<ID> {
        self.0.element_id.as_ref().map(|e| ID(e.0.clone()))
    }
}

#[derive(Enum, Serialize, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum MentionTargetType {
    Group,
    User,
    All,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TextMention {
    /// User or group id. Must be absent or `null` if `.targetType` is `all`.
    pub target_id: Option<String>,
    pub target_type: MentionTargetType,
}

/// Either plain text or a mention.
#[derive(InputObject, Serialize)]
pub struct InlineCommentContent {
    pub mention: Option<TextMention>,
    /// Plain text content. Newline characters are ignored.
    pub text: Option<String>,
}

#[derive(InputObject, Serialize)]
pub struct CommentBlockInput {
    pub content: Vec<InlineCommentContent>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentInput {
    pub blocks: Vec<CommentBlockInput>,
    /// Parent comment id.
    pub parent_id: Option<String>,
    /// JSON-LD-conforming document representing arbitrary persistent metadata of the comment.
    pub traits: Option<JsonObject>,
}

impl CommentInput {
    pub fn into_new(self) -> async_graphql::Result<tessera_core::service::NewComment> {
        let parent_id = self.parent_id.map(|p| super::comment_id("parentId", p)).transpose()?;
        Ok(tessera_core::service::NewComment {
            blocks: to_json(&self.blocks),
            parent_id,
            traits: self.traits.map(|t| t.0),
        })
    }
}

/// Comments of a workspace read once for a whole `elements` list, by element.
pub type CommentsByElement = Arc<HashMap<ElementId, Vec<model::Comment>>>;

/// Every comment of a workspace (made by `until`, if given), grouped by element, for
/// `elements` when its selection asks for `comments` (one read instead of one per element).
pub async fn of_workspace(
    ctx: &Context<'_>,
    ws: &WorkspaceId,
    until: Option<i64>,
) -> async_graphql::Result<CommentsByElement> {
    let mut by = HashMap::<ElementId, Vec<model::Comment>>::new();
    let all = core(ctx).comments(principal(ctx)?, ws, None).await.gql()?;
    for c in all.into_iter().filter(|c| until.is_none_or(|t| c.created_at <= t)) {
        if let Some(e) = c.element_id.clone() {
            by.entry(e).or_default().push(c);
        }
    }
    Ok(Arc::new(by))
}

/// The comments of one element: from `read` if the list was read ahead, else from the store.
pub async fn of_element(
    ctx: &Context<'_>,
    ws: &WorkspaceId,
    id: &ElementId,
    read: Option<&CommentsByElement>,
) -> async_graphql::Result<Vec<Comment>> {
    let list = match read {
        Some(by) => by.get(id).cloned().unwrap_or_default(),
        None => core(ctx).comments(principal(ctx)?, ws, Some(id)).await.gql()?,
    };
    Ok(list.into_iter().map(Comment).collect())
}
