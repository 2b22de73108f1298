//! The element queries: `elements`, `workspaceState` and its deprecated name
//! `elementsWithMeta`. They take the same arguments (written once, by [`element_queries!`]) and
//! read through [`Core::elements`](tessera_core::service::Core).

use super::element_inputs::{to_json, TraitInput};
use super::elements::{Around, Attached, Element, ElementType};
use super::query::{bad_input, Viewport};
use super::types::BackgroundTheme;
use super::{core, element_id, principal, workspace_id, Gql};
use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tessera_core::element::find::ElementFilter;
use tessera_core::ids::WorkspaceId;

/// The query object: each `$name` takes the element arguments and answers with `$answer`.
macro_rules! element_queries {
    ($( $(#[$attr:meta])* $name:ident -> $ret:ty => $answer:path; )*) => {
        #[derive(Default)]
        pub struct ElementQuery;

        // Merged into the schema's `Query` (see `Queries`); this name never shows.
        #[Object(name = "ElementQuery")]
        impl ElementQuery {
            $(
                $(#[$attr])*
                #[allow(clippy::too_many_arguments)]
                async fn $name(
                    &self,
                    ctx: &Context<'_>,
                    workspace_id: String,
                    #[graphql(desc = "restrict output to elements with traits matching these traits")]
                    traits: Option<TraitInput>,
                    #[graphql(desc = "id of the canvas in which the elements are included")] canvas_id: Option<String>,
                    #[graphql(
                        desc = "id of the element. When canvas is specified the element will exist in the bounds of the canvas"
                    )]
                    id: Option<String>,
                    r#type: Option<Vec<ElementType>>,
                    overlaps: Option<Viewport>,
                    #[graphql(desc = "retrieve element state as of the specified moment in time")]
                    when: Option<DateTime<Utc>>,
                    #[graphql(desc = "include attachments in toplevel query results")] flatten: Option<bool>,
                    #[graphql(desc = "id of the element. When specified, its origin point will be used to compute relative \
                                      coordinates of other elements")]
                    relative_to_origin_of: Option<String>,
                ) -> async_graphql::Result<$ret> {
                    let args = ElementArgs { traits, canvas_id, id, r#type, overlaps, when, flatten, relative_to_origin_of };
                    $answer(ctx, workspace_id, args).await
                }
            )*
        }
    };
}

element_queries! {
    /// Elements of a workspace, by `zIndex`, then oldest first: all, or as the arguments
    /// narrow them, now or as they were at an instant.
    elements -> Vec<Element> => elements;
    /// The workspace's elements as `elements` lists them, with its style and the cursor of the
    /// state they show: subscribe to `commands` from that cursor to follow it from there.
    workspace_state -> WorkspaceState => workspace_state;
    /// The same as `workspaceState`.
    #[graphql(deprecation = "please use workspaceState query instead")]
    elements_with_meta -> WorkspaceState => workspace_state;
}

async fn elements(ctx: &Context<'_>, workspace_id: String, args: ElementArgs) -> async_graphql::Result<Vec<Element>> {
    let (ws, filter) = args.filter(workspace_id)?;
    let Some(filter) = filter else {
        core(ctx).authorize_elements_read(principal(ctx)?, &ws).await.gql()?;
        return Ok(Vec::new());
    };
    let list = core(ctx).elements(principal(ctx)?, &ws, &filter).await.gql()?;
    element_objects(ctx, &ws, &filter, list).await
}

/// The arguments `elements`, `workspaceState` and `elementsWithMeta` share.
struct ElementArgs {
    traits: Option<TraitInput>,
    canvas_id: Option<String>,
    id: Option<String>,
    r#type: Option<Vec<ElementType>>,
    overlaps: Option<Viewport>,
    when: Option<DateTime<Utc>>,
    flatten: Option<bool>,
    relative_to_origin_of: Option<String>,
}

impl ElementArgs {
    /// The workspace and the filter; no filter when the types asked for are only ones tessera
    /// never stores (`LegacyNote`, …), which match nothing.
    fn filter(self, workspace_id: String) -> async_graphql::Result<(WorkspaceId, Option<ElementFilter>)> {
        let ws = self::workspace_id(workspace_id)?;
        let traits = match self.traits {
            Some(t) => Some(tessera_core::element::input::traits(to_json(&t)).map_err(bad_input)?),
            None => None,
        };
        let asked = self.r#type.unwrap_or_default();
        let types: Vec<_> = asked.iter().filter_map(|t| t.stored()).collect();
        if !asked.is_empty() && types.is_empty() {
            return Ok((ws, None));
        }
        let filter = ElementFilter {
            id: self.id.map(|s| element_id("id", s)).transpose()?,
            types,
            overlaps: self.overlaps.map(Viewport::area).transpose()?,
            canvas: self.canvas_id.map(|s| element_id("canvasId", s)).transpose()?,
            when: self.when.map(|t| t.timestamp_millis()),
            traits,
            relative_to: self.relative_to_origin_of.map(|s| element_id("relativeToOriginOf", s)).transpose()?,
            flatten: self.flatten.unwrap_or(false),
        };
        Ok((ws, Some(filter)))
    }
}

/// A list's element objects, with what they will ask for read ahead once for all of them:
/// the workspace's comments (at an instant, those made by then) and its attached elements.
async fn element_objects(
    ctx: &Context<'_>,
    ws: &WorkspaceId,
    filter: &ElementFilter,
    list: Vec<tessera_core::element::Element>,
) -> async_graphql::Result<Vec<Element>> {
    let ahead = ctx.look_ahead();
    let ahead = if ctx.field().name() == "elements" { ahead } else { ahead.field("elements") };
    let many = list.len() > 1 || filter.when.is_some();
    let comments = match ahead.field("comments").exists() && many {
        true => Some(super::comments::of_workspace(ctx, ws, filter.when).await?),
        false => None,
    };
    let attached = match (ahead.field("attachments").exists() || ahead.field("surface").exists()) && many {
        true => {
            Some(Arc::new(Attached::new(core(ctx).attached_elements(principal(ctx)?, ws, filter.when).await.gql()?)))
        }
        false => None,
    };
    let around = Around { comments, attached, at: filter.when };
    Ok(list.into_iter().map(|e| Element::of(e, around.clone())).collect())
}

/// A workspace's state: its elements, its style, and the cursor they are at.
#[derive(SimpleObject)]
pub struct WorkspaceState {
    /// a cursor ID for commands subscription
    pub cursor: ID,
    pub style: WorkspaceStyle,
    pub elements: Vec<Element>,
}

#[derive(SimpleObject)]
pub struct WorkspaceStyle {
    pub background_theme: BackgroundTheme,
}

async fn workspace_state(
    ctx: &Context<'_>,
    workspace_id: String,
    args: ElementArgs,
) -> async_graphql::Result<WorkspaceState> {
    let (ws, filter) = args.filter(workspace_id)?;
    let p = principal(ctx)?;
    let workspace = core(ctx).workspace(p, &ws).await.gql()?;
    let (cursor, list) = match filter {
        Some(filter) => {
            let (cursor, list) = core(ctx).workspace_state(p, &ws, &filter).await.gql()?;
            (cursor, element_objects(ctx, &ws, &filter, list).await?)
        }
        None => {
            core(ctx).authorize_elements_read(p, &ws).await.gql()?;
            (core(ctx).log_head(&ws).await.gql()?.unwrap_or(0), Vec::new())
        }
    };
    let theme = workspace.background_theme.as_deref().and_then(BackgroundTheme::parse).unwrap_or(BackgroundTheme::Dark);
    Ok(WorkspaceState {
        cursor: ID(cursor.to_string()),
        style: WorkspaceStyle { background_theme: theme },
        elements: list,
    })
}
