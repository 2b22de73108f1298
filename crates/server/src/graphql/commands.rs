//! What the `commands` and `rawHistory` subscriptions deliver: the platform's command types,
//! one per kind of change, each read from one event of the workspace's log.

use super::comments::Comment;
use super::element_inputs::JsonObject;
use super::element_parts::AssetIngestionState;
use super::elements::{Element, ElementType, Transform};
use super::types::{BackgroundTheme, GqlActorType, UpdateWorkspaceStyle};
use super::updates::UpdateElement;
use async_graphql::{Interface, Json, Object, ID};
use serde_json::Value;
use std::sync::Arc;
use tessera_core::event::{Event, EventPayload};

/// Any command of a workspace's history.
// The lint mistakes the repeated `ty = …` keys of distinct fields for duplicates.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface)]
#[graphql(
    field(name = "workspace_id", ty = "ID"),
    field(name = "cursor", ty = "ID", desc = "a cursor ID for the next commands subscription"),
    field(name = "actor_id", ty = "ID", desc = "identity of the principal performing the command"),
    field(name = "actor_type", ty = "GqlActorType")
)]
pub enum Command {
    CreateElementCommand(CreateElementCommand),
    UpdateElementCommand(UpdateElementCommand),
    AttachCommand(AttachCommand),
    DetachCommand(DetachCommand),
    DeleteElementCommand(DeleteElementCommand),
    CreateCommentCommand(CreateCommentCommand),
    UpdateTraitsCommand(UpdateTraitsCommand),
    UpdateWorkspaceCommand(UpdateWorkspaceCommand),
    UploadAssetCommand(UploadAssetCommand),
    RawCommand(RawCommand),
}

/// A change to a workspace's elements or comments, as `commands` delivers it.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface)]
#[graphql(
    field(name = "workspace_id", ty = "ID"),
    field(name = "cursor", ty = "ID", desc = "a cursor ID for the next commands subscription"),
    field(name = "actor_id", ty = "ID", desc = "identity of the principal performing the command"),
    field(name = "actor_type", ty = "GqlActorType"),
    field(name = "client_id", ty = "Option<ID>", desc = "The app (OAuth client) that made the change, if any")
)]
pub enum HistoryCommand {
    CreateElementCommand(CreateElementCommand),
    UpdateElementCommand(UpdateElementCommand),
    AttachCommand(AttachCommand),
    DetachCommand(DetachCommand),
    DeleteElementCommand(DeleteElementCommand),
    CreateCommentCommand(CreateCommentCommand),
    UpdateTraitsCommand(UpdateTraitsCommand),
    UpdateWorkspaceCommand(UpdateWorkspaceCommand),
    UploadAssetCommand(UploadAssetCommand),
}

impl HistoryCommand {
    /// The command an event is, if it is one `commands` delivers.
    pub fn of(e: Arc<Event>) -> Option<Self> {
        Some(match &e.payload {
            EventPayload::ElementCreated { .. } => HistoryCommand::CreateElementCommand(CreateElementCommand(e)),
            EventPayload::ElementUpdated { data, .. } => match adhesion(data) {
                Some(true) => HistoryCommand::AttachCommand(AttachCommand(e)),
                Some(false) => HistoryCommand::DetachCommand(DetachCommand(e)),
                None => HistoryCommand::UpdateElementCommand(UpdateElementCommand(e)),
            },
            EventPayload::ElementDeleted { .. } => HistoryCommand::DeleteElementCommand(DeleteElementCommand(e)),
            EventPayload::CommentCreated { .. } => HistoryCommand::CreateCommentCommand(CreateCommentCommand(e)),
            EventPayload::TraitsUpdated { .. } => HistoryCommand::UpdateTraitsCommand(UpdateTraitsCommand(e)),
            EventPayload::WorkspaceUpdated { .. } => HistoryCommand::UpdateWorkspaceCommand(UpdateWorkspaceCommand(e)),
            EventPayload::AssetIngested { .. } => HistoryCommand::UploadAssetCommand(UploadAssetCommand(e)),
            EventPayload::CollaboratorAdded { .. }
            | EventPayload::CollaboratorRemoved { .. }
            | EventPayload::WorkspaceDeleted { .. } => return None,
        })
    }
}

/// Whether an element update only attached (`true`) or detached (`false`) the element, with
/// its new place: the platform's adhesion commands. Updates that change more are update
/// commands, whose `data` names the `surface` too.
fn adhesion(data: &Value) -> Option<bool> {
    // A line's points move with its frame too, and only an update command carries them.
    const PLACE: [&str; 3] = ["surface", "transform", "zIndex"];
    let fields = data.as_object()?;
    let surface = fields.get("surface")?;
    fields.keys().all(|k| PLACE.contains(&k.as_str())).then(|| !surface.is_null())
}

/// Defines a command object: the fields every command has, then `$extra` fields, which read
/// the event's payload with [`payload!`].
macro_rules! command_object {
    ($name:ident, $doc:literal, { $($extra:tt)* }) => {
        #[doc = $doc]
        pub struct $name(pub Arc<Event>);

        #[Object]
        impl $name {
            async fn workspace_id(&self) -> ID { ID(self.0.workspace_id.0.clone()) }
            /// Resume from here: pass it as `cursor` to receive only later commands.
            async fn cursor(&self) -> ID { ID(self.0.cursor.to_string()) }
            async fn actor_id(&self) -> ID { ID(self.0.actor.id.0.clone()) }
            async fn actor_type(&self) -> GqlActorType { self.0.actor.kind.into() }
            /// The app (OAuth client) that made the change, if any (the platform's is never
            /// null; a bot's or the operator's change has none here).
            async fn client_id(&self) -> Option<ID> { client_id(&self.0) }
            $($extra)*
        }
    };
}

fn client_id(e: &Event) -> Option<ID> {
    e.actor.client_id.clone().map(ID)
}

/// The payload of a command object, which is always of its own kind.
macro_rules! payload {
    ($self:ident, $pat:pat => $e:expr) => {
        match &$self.0.payload {
            $pat => $e,
            _ => unreachable!("a command object holds an event of its own kind"),
        }
    };
}

command_object!(CreateElementCommand, "An element was created.", {
    async fn element(&self) -> Element {
        payload!(self, EventPayload::ElementCreated { element } => (**element).clone().into())
    }
});

command_object!(UpdateElementCommand, "An element changed; `data` holds the fields that changed.", {
    /// Workspace-unique element id
    async fn element_id(&self) -> ID {
        payload!(self, EventPayload::ElementUpdated { element_id, .. } => ID(element_id.0.clone()))
    }
    /// The element's type (tessera's addition; `data`'s type names it too).
    async fn element_type(&self) -> ElementType {
        payload!(self, EventPayload::ElementUpdated { element_type, .. } => (*element_type).into())
    }
    /// What changed; a `surface` detached from is the workspace's id, as in the inputs.
    async fn data(&self) -> UpdateElement {
        payload!(self, EventPayload::ElementUpdated { element_type, data, .. } => match data.get("surface") {
            Some(Value::Null) => {
                let mut data = data.clone();
                data["surface"] = Value::String(self.0.workspace_id.0.clone());
                UpdateElement::read(*element_type, &data)
            }
            _ => UpdateElement::read(*element_type, data),
        })
    }
});

/// An adhesion command: the element, its type and its place after it, then `$extra` fields.
macro_rules! adhesion_command {
    ($name:ident, $doc:literal, { $($extra:tt)* }) => {
        command_object!($name, $doc, {
        /// id of attachable element
        async fn element_id(&self) -> ID {
            payload!(self, EventPayload::ElementUpdated { element_id, .. } => ID(element_id.0.clone()))
        }
        async fn element_type(&self) -> ElementType {
            payload!(self, EventPayload::ElementUpdated { element_type, .. } => (*element_type).into())
        }
        async fn z_index(&self) -> Option<i64> {
            payload!(self, EventPayload::ElementUpdated { data, .. } => data["zIndex"].as_i64())
        }
        /// Where the element is now: from its surface's position (attached) or the canvas's.
        async fn transform(&self) -> Option<Transform> {
            payload!(self, EventPayload::ElementUpdated { data, .. } => serde_json::from_value::<tessera_core::element::Transform>(data["transform"].clone()).ok().map(|t| {
                Transform { x: t.x, y: t.y, scale_x: t.scale_x, scale_y: t.scale_y }
            }))
        }
        $($extra)*
        });
    };
}

adhesion_command!(AttachCommand, "An element was attached to a surface.", {
    /// id of the target surface
    async fn surface_id(&self) -> Option<String> {
        payload!(self, EventPayload::ElementUpdated { data, .. } => data["surface"].as_str().map(str::to_owned))
    }
});

adhesion_command!(DetachCommand, "An element was detached from its surface and is top-level again.", {});

command_object!(DeleteElementCommand, "An element was deleted.", {
    /// Workspace-unique element id
    async fn element_id(&self) -> ID {
        payload!(self, EventPayload::ElementDeleted { element_id, .. } => ID(element_id.0.clone()))
    }
    async fn element_type(&self) -> ElementType {
        payload!(self, EventPayload::ElementDeleted { element_type, .. } => (*element_type).into())
    }
});

command_object!(CreateCommentCommand, "A comment was made on an element.", {
    /// Workspace-unique element id (null only for comments made by an earlier version)
    async fn element_id(&self) -> Option<ID> {
        payload!(self, EventPayload::CommentCreated { comment, .. } => comment.element_id.as_ref().map(|id| ID(id.0.clone())))
    }
    /// The type of the element (null only for comments made by an earlier version)
    async fn element_type(&self) -> Option<ElementType> {
        payload!(self, EventPayload::CommentCreated { element_type, .. } => element_type.map(Into::into))
    }
    async fn comment(&self) -> Comment {
        payload!(self, EventPayload::CommentCreated { comment, .. } => Comment(comment.clone()))
    }
});

command_object!(UpdateTraitsCommand, "An element's traits changed (`updateTraits`).", {
    /// Workspace-unique element id
    async fn element_id(&self) -> ID {
        payload!(self, EventPayload::TraitsUpdated { element_id, .. } => ID(element_id.0.clone()))
    }
    async fn element_type(&self) -> ElementType {
        payload!(self, EventPayload::TraitsUpdated { element_type, .. } => (*element_type).into())
    }
    /// JSON-LD-conforming document representing arbitrary persistent metadata of the element
    async fn traits(&self) -> JsonObject {
        payload!(self, EventPayload::TraitsUpdated { traits, .. } => JsonObject(traits.clone()))
    }
});

command_object!(UploadAssetCommand, "An asset's upload or processing moved on: its new `ingestionState` (read the element again for what processing found, such as its real size).", {
    /// Workspace-unique element id
    async fn element_id(&self) -> ID {
        payload!(self, EventPayload::AssetIngested { element_id, .. } => ID(element_id.0.clone()))
    }
    async fn element_type(&self) -> ElementType {
        payload!(self, EventPayload::AssetIngested { element_type, .. } => (*element_type).into())
    }
    async fn ingestion_state(&self) -> AssetIngestionState {
        payload!(self, EventPayload::AssetIngested { ingestion_state, .. } => (*ingestion_state).into())
    }
    /// JSON-LD-conforming document representing arbitrary persistent metadata of the element
    /// (always null: an upload changes no traits)
    async fn traits(&self) -> Option<JsonObject> {
        None
    }
});

command_object!(UpdateWorkspaceCommand, "The workspace's settings changed (`rawHistory` has every changed field).", {
    /// The new style, if it changed.
    async fn style(&self) -> Option<UpdateWorkspaceStyle> {
        payload!(self, EventPayload::WorkspaceUpdated { changes } => changes.get("backgroundTheme").and_then(|t| t.as_str()).map(|t| {
            UpdateWorkspaceStyle { background_theme: BackgroundTheme::parse(t) }
        }))
    }
});

/// One event of a workspace's log, as stored: `data` is its JSON, named by its `type`.
pub struct RawCommand(pub Arc<Event>);

#[Object]
impl RawCommand {
    async fn workspace_id(&self) -> ID {
        ID(self.0.workspace_id.0.clone())
    }
    /// a cursor ID for the next commands subscription
    async fn cursor(&self) -> ID {
        ID(self.0.cursor.to_string())
    }
    /// identity of the principal performing the command
    async fn actor_id(&self) -> ID {
        ID(self.0.actor.id.0.clone())
    }
    async fn actor_type(&self) -> GqlActorType {
        self.0.actor.kind.into()
    }
    /// The app (OAuth client) that made the change (tessera's addition).
    async fn client_id(&self) -> Option<ID> {
        client_id(&self.0)
    }
    async fn data(&self) -> async_graphql::Result<Json<Value>> {
        serde_json::to_value(&self.0.payload).map(Json).map_err(|_| async_graphql::Error::new("internal error"))
    }
}
