//! Limits checked on every parsed document, whatever the transport: the alias count. (Depth,
//! complexity, recursion and directives are async-graphql's own limits, set on the schema.)

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, Variables};
use std::sync::Arc;

/// Aliases in one document: enough for any real screen, too few to multiply one field's work.
pub const MAX_ALIASES: usize = 100;

pub struct AliasLimit;

impl ExtensionFactory for AliasLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AliasLimit)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for AliasLimit {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let operations = doc.operations.iter().map(|(_, op)| &op.node.selection_set.node);
        let fragments = doc.fragments.values().map(|f| &f.node.selection_set.node);
        let aliases: usize = operations.chain(fragments).map(count_aliases).sum();
        if aliases > MAX_ALIASES {
            return Err(ServerError::new(
                format!("the document uses {aliases} aliases; at most {MAX_ALIASES} are allowed"),
                None,
            ));
        }
        Ok(doc)
    }
}

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(f) => usize::from(f.node.alias.is_some()) + count_aliases(&f.node.selection_set.node),
            Selection::InlineFragment(f) => count_aliases(&f.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}
