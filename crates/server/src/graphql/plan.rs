//! What a GraphQL request over a WebSocket runs: a subscription or not, and for a `commands`
//! subscription the shape its subscribers share renderings by.

use super::subscription::Shape;
use async_graphql::parser::types::{DocumentOperations, OperationDefinition, OperationType, Selection};
use async_graphql::Request;

/// A `commands` or `rawHistory` subscription: its shape, and the variable holding its cursor.
pub struct FanOut {
    pub shape: Shape,
    pub cursor_variable: Option<async_graphql::Name>,
}

/// Whether a request runs a subscription, and for a `commands` subscription its shape (see
/// [`commands_shape`]). A document that does not parse is no subscription: executing it reports why.
pub fn plan(request: &Request) -> (bool, Option<FanOut>) {
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else { return (false, None) };
    let op = match (&doc.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        // A single named operation may be run without its name.
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        (DocumentOperations::Multiple(_), None) => None,
    };
    match op.filter(|o| o.node.ty == OperationType::Subscription) {
        Some(op) => (true, commands_shape(&op.node, request)),
        None => (false, None),
    }
}

/// For a subscription whose only root field is `commands` or `rawHistory`, everything that shapes its results:
/// the document, the operation and the variables, except the one holding the cursor (which only
/// says where to start). Subscribers with equal shapes share renderings, so the shape is the
/// text itself, compared whole — not a hash of it, which another reader of the workspace could
/// search for a collision and so have its own rendering sent to others.
///
/// The cursor's variable is left out only when the document uses it nowhere else (otherwise it
/// could change what is rendered, and it stays in the shape).
fn commands_shape(op: &OperationDefinition, request: &Request) -> Option<FanOut> {
    let [item] = op.selection_set.node.items.as_slice() else { return None };
    let Selection::Field(field) = &item.node else { return None };
    if !matches!(field.node.name.node.as_str(), "commands" | "rawHistory") {
        return None;
    }
    // A variable argument prints as `$name`.
    let cursor_var = field
        .node
        .arguments
        .iter()
        .find(|(name, _)| name.node == "cursor")
        .and_then(|(_, v)| v.node.to_string().strip_prefix('$').map(async_graphql::Name::new))
        .filter(|name| uses(&request.query, name) == 2);
    let mut variables = request.variables.clone();
    if let Some(name) = &cursor_var {
        variables.remove(name);
    }
    // Unambiguous: the operation name and the variables are JSON strings and objects.
    let key = serde_json::json!([request.operation_name, variables, request.query]).to_string();
    Some(FanOut { shape: Shape::from(key), cursor_variable: cursor_var })
}

/// How often `$name` appears in a document as a whole word (its definition and each use; a
/// string that happens to hold it only makes the count higher, which is the safe side).
fn uses(query: &str, name: &str) -> usize {
    let word = format!("${name}");
    query
        .match_indices(&word)
        .filter(|(at, _)| {
            !query[at + word.len()..].chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn shape(query: &str, variables: Value) -> Option<Shape> {
        let request = Request::new(query).variables(async_graphql::Variables::from_json(variables));
        plan(&request).1.map(|f| f.shape)
    }

    #[test]
    fn shapes_are_the_whole_request_but_the_cursor() {
        let q = "subscription($ws: String!, $c: ID) { commands(workspaceId: $ws, cursor: $c) { cursor } }";
        let a = shape(q, serde_json::json!({"ws": "w1", "c": "5"})).expect("a commands subscription");
        let b = shape(q, serde_json::json!({"ws": "w1", "c": "9"})).expect("shape");
        assert_eq!(a, b, "where it starts does not change what it renders");
        assert!(a.contains(q), "the document itself is the key, not a hash of it: {a}");
        assert_ne!(Some(a.clone()), shape(q, serde_json::json!({"ws": "w2", "c": "5"})));
        let other = q.replace("{ cursor }", "{ cursor __typename }");
        assert_ne!(Some(a), shape(&other, serde_json::json!({"ws": "w1", "c": "5"})));
        assert_eq!(shape("subscription { securityEvents(organizationId: \"o\") { cursor } }", Value::Null), None);
    }

    #[test]
    fn a_cursor_variable_used_anywhere_else_stays_in_the_shape() {
        let q = "subscription($ws: String!, $c: ID) { commands(workspaceId: $ws, cursor: $c) { cursor x: cursor @skip(if: $c) } }";
        let a = shape(q, serde_json::json!({"ws": "w1", "c": "5"})).expect("shape");
        assert_ne!(Some(a), shape(q, serde_json::json!({"ws": "w1", "c": "9"})));
        let q = "subscription($ws: String!, $c: ID, $cc: ID) { commands(workspaceId: $ws, cursor: $c) { cursor } }";
        let a = shape(q, serde_json::json!({"ws": "w1", "c": "5"})).expect("shape");
        assert_eq!(Some(a), shape(q, serde_json::json!({"ws": "w1", "c": "9"})), "$cc is another variable");
    }
}
