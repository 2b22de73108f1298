//! JSON-LD traits: `updateTraits` (merged into an element's traits, an `UpdateTraitsCommand`
//! for subscribers) and the `matchTraits` playground.

use super::element_inputs::{to_json, JsonObject, TraitInput};
use super::{core, element_id, principal, workspace_id, Gql};
use async_graphql::{Context, Object};

#[derive(Default)]
pub struct TraitsMutation;

#[Object]
impl TraitsMutation {
    /// Update traits of a workspace element: the input's fields are merged into the element's
    /// traits (objects field by field); the traits after it.
    async fn update_traits(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "use as playground to test trait handling, does not add traits to history", default = false)]
        dry_run: bool,
        #[graphql(
            desc = "use the JSON-LD context specified in the input to compact the output (tessera stores and \
                    returns traits compacted as given)",
            default = true
        )]
        compact_output: bool,
        #[graphql(desc = "trait to add to the element")] input: TraitInput,
        #[graphql(desc = "target workspace element id")] id: String,
        workspace_id: String,
    ) -> async_graphql::Result<JsonObject> {
        let _ = compact_output;
        let (ws, id) = (self::workspace_id(workspace_id)?, element_id("id", id)?);
        let traits = core(ctx).update_traits(principal(ctx)?, &ws, &id, to_json(&input), dry_run).await.gql()?;
        Ok(JsonObject(traits))
    }

    /// Experimental: trait matching playground. The input document if it contains everything
    /// the frame has (`@context` aside), else an empty object. Does not change the workspace.
    async fn match_traits(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "use the JSON-LD context specified in the input to compact the output", default = true)]
        compact_output: bool,
        #[graphql(desc = "A JSON-LD frame describing a pattern to be matched in the input")] frame: TraitInput,
        #[graphql(desc = "A JSON-LD document to match against")] input: TraitInput,
        workspace_id: String,
    ) -> async_graphql::Result<JsonObject> {
        let _ = compact_output;
        let ws = self::workspace_id(workspace_id)?;
        let found = core(ctx).match_traits(principal(ctx)?, &ws, to_json(&frame), to_json(&input)).await.gql()?;
        Ok(JsonObject(found))
    }
}
