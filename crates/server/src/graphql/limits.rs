//! Limits checked on every parsed document, whatever the transport: the size of the document
//! with its fragments written out, and the alias count. (Depth, complexity, recursion and
//! directives are async-graphql's own limits, set on the schema.)

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Request, ServerError, ServerResult};
use std::collections::HashMap;
use std::sync::Arc;

/// Aliases in one document: enough for any real screen, too few to multiply one field's work.
pub const MAX_ALIASES: usize = 100;

/// The aliases of a document: at most [`MAX_ALIASES`].
fn check_aliases(doc: &ExecutableDocument) -> ServerResult<()> {
    let operations = doc.operations.iter().map(|(_, op)| &op.node.selection_set.node);
    let fragments = doc.fragments.values().map(|f| &f.node.selection_set.node);
    let aliases: usize = operations.chain(fragments).map(count_aliases).sum();
    if aliases > MAX_ALIASES {
        return Err(ServerError::new(
            format!("the document uses {aliases} aliases; at most {MAX_ALIASES} are allowed"),
            None,
        ));
    }
    Ok(())
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

/// Selections in one document with every fragment spread written out in place. async-graphql's
/// own checks (recursion, directives, validation, complexity) walk into a fragment at each of
/// its spreads, so without this bound a document of a few dozen fragments that each spread the
/// next one twice takes them 2^n steps: one request could hold a core for hours.
pub const MAX_EXPANDED_SELECTIONS: usize = 10_000;

/// Refuses a document with more than [`MAX_ALIASES`] aliases, or whose fragments expand beyond
/// [`MAX_EXPANDED_SELECTIONS`], nest beyond [`super::MAX_RECURSION`], or spread themselves,
/// before anything else walks it. The document is parsed once here and the parse is reused by
/// the rest of the request. (One extension, not one per limit: async-graphql runs every field's
/// resolution through each extension's `resolve`, so each extension costs on every field.)
pub struct Limits;

impl ExtensionFactory for Limits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Limits)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for Limits {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // A document that does not parse is reported as such by the parse that follows.
        if let Ok(doc) = request.parsed_query() {
            check_expansion(doc)?;
            check_aliases(doc)?;
        }
        next.run(ctx, request).await
    }
}

/// The document's operations with their fragments written out: at most
/// [`MAX_EXPANDED_SELECTIONS`] selections, and no fragment that spreads itself. Linear in the
/// document's size: each fragment is measured once.
pub fn check_expansion(doc: &ExecutableDocument) -> ServerResult<()> {
    let mut sizes = HashMap::new();
    let mut total = 0usize;
    for (_, op) in doc.operations.iter() {
        total = total.saturating_add(expanded(doc, &op.node.selection_set.node, &mut sizes, 0)?);
    }
    if total > MAX_EXPANDED_SELECTIONS {
        return Err(ServerError::new(
            format!("the document has {total} selections with its fragments written out; at most {MAX_EXPANDED_SELECTIONS} are allowed"),
            None,
        ));
    }
    Ok(())
}

/// The selections of a set with its fragments written out. `sizes` holds each fragment's size
/// once measured, and `None` while it is being measured (so a spread of it is a cycle).
fn expanded<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    sizes: &mut HashMap<&'a Name, Option<usize>>,
    depth: usize,
) -> ServerResult<usize> {
    if depth > super::MAX_RECURSION {
        return Err(ServerError::new(
            format!("selections and fragments nest deeper than {}", super::MAX_RECURSION),
            None,
        ));
    }
    let mut n = 0usize;
    for item in &set.items {
        let inner = match &item.node {
            Selection::Field(f) if f.node.selection_set.node.items.is_empty() => 0,
            Selection::Field(f) => expanded(doc, &f.node.selection_set.node, sizes, depth + 1)?,
            Selection::InlineFragment(f) => expanded(doc, &f.node.selection_set.node, sizes, depth + 1)?,
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                match (sizes.get(name), doc.fragments.get(name)) {
                    (Some(Some(size)), _) => *size,
                    (Some(None), _) => {
                        return Err(ServerError::new(format!("fragment {name} spreads itself"), Some(spread.pos)));
                    }
                    // An unknown fragment: validation reports it.
                    (None, None) => 0,
                    (None, Some(fragment)) => {
                        sizes.insert(name, None);
                        let size = expanded(doc, &fragment.node.selection_set.node, sizes, depth + 1)?;
                        sizes.insert(name, Some(size));
                        size
                    }
                }
            }
        };
        n = n.saturating_add(1).saturating_add(inner);
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::super::schema_builder;

    /// `query { ...F0 }` where each of `n` fragments spreads the next one twice: 2^n selections.
    fn doubling(n: usize) -> String {
        let mut doc = "query { ...F0 }".to_string();
        for i in 0..n {
            doc += &format!(" fragment F{i} on Query {{ ...F{next} ...F{next} }}", next = i + 1);
        }
        doc + &format!(" fragment F{n} on Query {{ __typename }}")
    }

    async fn errors(query: &str) -> Vec<String> {
        let schema = schema_builder(true).finish();
        schema.execute(query).await.errors.into_iter().map(|e| e.message).collect()
    }

    // Found while writing the `graphql` fuzz target: 22 such fragments (900 bytes) took
    // async-graphql's checks 14 s, each further one doubling it; now refused before they run.
    #[tokio::test]
    async fn fragments_that_multiply_are_refused_before_anything_walks_them() {
        for n in [20, 40, 60] {
            let errors = errors(&doubling(n)).await;
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(errors[0].contains("with its fragments written out"), "{errors:?}");
        }
        let ok = "query { ...A ...B } fragment A on Query { __typename } fragment B on Query { ...A }";
        assert_eq!(errors(ok).await, Vec::<String>::new());
        assert_eq!(errors(&doubling(5)).await, Vec::<String>::new());
    }

    #[tokio::test]
    async fn fragment_cycles_and_deep_chains_are_refused() {
        let cycle = "query { ...A } fragment A on Query { ...B ...B } fragment B on Query { ...A ...A }";
        assert!(errors(cycle).await.iter().any(|e| e.contains("spreads itself")));
        let mut chain = "query { ...F0 }".to_string();
        for i in 0..100 {
            chain += &format!(" fragment F{i} on Query {{ ...F{} }}", i + 1);
        }
        chain += " fragment F100 on Query { __typename }";
        assert!(errors(&chain).await.iter().any(|e| e.contains("nest deeper than 64")));
    }
}
