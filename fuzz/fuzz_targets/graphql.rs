//! GraphQL input validation: a document (and its variables) parsed and validated against
//! tessera's real schema with its real limits (`graphql::schema_builder`: depth, complexity,
//! recursion, directives, and the alias limit), through `Schema::execute` as a request takes.
//! An extension stops every request that passes validation before anything executes, so no
//! resolver runs and no store is needed.
#![no_main]

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Request, Response, Value, Variables};
use libfuzzer_sys::fuzz_target;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Waker};
use tessera::graphql::http::{finish, is_request_error};
use tessera::graphql::limits::MAX_ALIASES;
use tessera::graphql::{schema_builder, ApiSchema};

const VALID: &str = "validated; not executed";

/// Answers every request that reached execution without executing it.
struct StopBeforeExecution;

impl ExtensionFactory for StopBeforeExecution {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(StopBeforeExecution)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for StopBeforeExecution {
    async fn execute(&self, _: &ExtensionContext<'_>, _: Option<&str>, _: NextExecute<'_>) -> Response {
        Response::new(Value::from(VALID))
    }
}

fn schemas() -> &'static [ApiSchema; 2] {
    static SCHEMAS: OnceLock<[ApiSchema; 2]> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        [false, true].map(|introspection| schema_builder(introspection).extension(StopBeforeExecution).finish())
    })
}

/// Validation waits on nothing: one poll finishes it.
fn run<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("validation waited on something"),
    }
}

fn aliases(set: &SelectionSet) -> usize {
    let mut n = 0;
    for item in &set.items {
        n += match &item.node {
            Selection::Field(f) => usize::from(f.node.alias.is_some()) + aliases(&f.node.selection_set.node),
            Selection::InlineFragment(f) => aliases(&f.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        };
    }
    n
}

fn document_aliases(doc: &ExecutableDocument) -> usize {
    let ops = doc.operations.iter().map(|(_, op)| aliases(&op.node.selection_set.node));
    ops.sum::<usize>() + doc.fragments.values().map(|f| aliases(&f.node.selection_set.node)).sum::<usize>()
}

fuzz_target!(|data: &[u8]| {
    // One byte of choices, then the document, then (after a NUL) the variables as JSON.
    let Some((&flags, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let (query, variables) = text.split_once('\0').unwrap_or((text, ""));
    let mut request = Request::new(query);
    if !variables.is_empty() {
        let Ok(json) = serde_json::from_str::<serde_json::Value>(variables) else { return };
        request = request.variables(Variables::from_json(json));
    }
    if flags & 2 != 0 {
        request = request.operation_name(format!("Op{}", flags >> 4));
    }
    let schema = &schemas()[usize::from(flags & 1)];
    let res = run(schema.execute(request));
    if res.data == Value::from(VALID) {
        assert!(res.errors.is_empty(), "{:?}", res.errors);
        let doc = async_graphql::parser::parse_query(query).unwrap_or_else(|e| panic!("validated, not parsed: {e}"));
        let n = document_aliases(&doc);
        assert!(n <= MAX_ALIASES, "validated with {n} aliases");
    } else {
        // Nothing ran, so every error is the request's own: transports answer 400, or
        // `error` on a WebSocket, and every error carries a code.
        assert!(is_request_error(&res), "{res:?}");
        let res = finish(res);
        assert!(res.errors.iter().all(|e| e.extensions.as_ref().is_some_and(|x| x.get("code").is_some())));
    }
});
