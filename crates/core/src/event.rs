//! The append-only event log. Every change to a workspace is one [`Event`] with a
//! per-workspace cursor that increases in commit order, written in the same transaction as
//! the change itself. Subscriptions replay and follow this log.

use crate::element::asset::IngestionState;
use crate::element::{Element, ElementType};
use crate::ids::{ElementId, UserId, WorkspaceId};
use crate::model::{ActorType, Comment};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// Who made a change, and through which client.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub id: UserId,
    pub kind: ActorType,
    pub client_id: Option<String>,
}

impl Actor {
    /// The operator, acting through the command line.
    pub fn system() -> Self {
        Actor { id: UserId("system".into()), kind: ActorType::System, client_id: None }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum EventPayload {
    #[serde(rename_all = "camelCase")]
    ElementCreated { element: Box<Element> },
    #[serde(rename_all = "camelCase")]
    ElementUpdated { element_id: ElementId, element_type: ElementType, data: Json },
    #[serde(rename_all = "camelCase")]
    ElementDeleted { element_id: ElementId, element_type: ElementType },
    /// `updateTraits`: the element's whole traits document after the change.
    #[serde(rename_all = "camelCase")]
    TraitsUpdated { element_id: ElementId, element_type: ElementType, traits: Json },
    #[serde(rename_all = "camelCase")]
    CommentCreated {
        comment: Comment,
        /// The type of the element commented on (absent in events of an earlier version).
        #[serde(default)]
        element_type: Option<ElementType>,
    },
    #[serde(rename_all = "camelCase")]
    CollaboratorAdded { user_id: UserId, role_id: String },
    #[serde(rename_all = "camelCase")]
    CollaboratorRemoved { user_id: UserId },
    /// The workspace's settings changed: `changes` holds the new values in the platform's
    /// names (`name`, `description`, `isPublic`, `archivedAt` (epoch ms or null),
    /// `backgroundTheme`).
    #[serde(rename_all = "camelCase")]
    WorkspaceUpdated { changes: Json },
    /// An asset's upload or processing moved on (`UploadAssetCommand`): its new state, and the
    /// element's fields processing changed in the stored form (`width`, `height`, `transform`
    /// once the file's real size is known), so a subscriber can apply them.
    #[serde(rename_all = "camelCase")]
    AssetIngested { element_id: ElementId, element_type: ElementType, ingestion_state: IngestionState, data: Json },
    /// The workspace was deleted; `permanent`: its content and history with it.
    #[serde(rename_all = "camelCase")]
    WorkspaceDeleted { permanent: bool },
}

impl EventPayload {
    /// A payload as stored; an element created by an earlier version is read in today's form.
    pub fn from_stored(mut stored: Json) -> Result<EventPayload, String> {
        if let Some(el) = stored.get_mut("element").filter(|e| crate::element::legacy::is_legacy(e)) {
            *el = crate::element::legacy::upgrade(el.take())?;
        }
        serde_json::from_value(stored).map_err(|e| e.to_string())
    }

    /// The short name stored beside the payload, for filtering and inspection.
    pub fn kind(&self) -> &'static str {
        match self {
            EventPayload::ElementCreated { .. } => "elementCreated",
            EventPayload::ElementUpdated { .. } => "elementUpdated",
            EventPayload::ElementDeleted { .. } => "elementDeleted",
            EventPayload::TraitsUpdated { .. } => "traitsUpdated",
            EventPayload::CommentCreated { .. } => "commentCreated",
            EventPayload::CollaboratorAdded { .. } => "collaboratorAdded",
            EventPayload::CollaboratorRemoved { .. } => "collaboratorRemoved",
            EventPayload::WorkspaceUpdated { .. } => "workspaceUpdated",
            EventPayload::WorkspaceDeleted { .. } => "workspaceDeleted",
            EventPayload::AssetIngested { .. } => "assetIngested",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub workspace_id: WorkspaceId,
    pub cursor: i64,
    pub actor: Actor,
    pub payload: EventPayload,
    pub created_at: i64,
}
