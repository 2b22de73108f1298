//! The selections the REST routes ask the GraphQL schema for, written out from the schema
//! itself (by introspection, once at start): every field of a type that takes no required
//! argument, objects field by field, interfaces and unions type by type. A REST answer is then
//! the GraphQL object whole, and cannot drift from it.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// Types whose objects are elements: a field of one of them inside an element (an attachment,
/// a surface, a selection) is given as `{ __typename id }`, not written out again.
const ELEMENT_TYPES: [&str; 4] = ["Element", "Attachable", "Surface", "Selectable"];
/// Fields left out of REST answers: comments (read by their own routes, costly per element),
/// and tessera's organization administration lists, which only owners and admins may read (a
/// member reading their organization must not be refused for them).
const SKIPPED: [&str; 5] = ["comments", "invitations", "bots", "authorizations", "identityProvider"];
/// Deep enough for every element's style and rich text; guards against a cycle.
const MAX_DEPTH: usize = 6;

const INTROSPECTION: &str = "{ __schema { types { name kind possibleTypes { name } enumValues { name }
  fields { name args { type { kind } defaultValue } type { ...T } } inputFields { name type { ...T } } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }";

/// The selections of the types the REST routes answer with, and the schema's types (for
/// reading REST bodies).
pub struct Selections {
    pub types: Types,
    pub element: String,
    pub user: String,
    pub role: String,
    pub workspace: String,
    pub organization: String,
    pub member: String,
    pub upload: String,
}

impl Selections {
    /// Written out from the schema (introspected on a copy of it with introspection on,
    /// whatever the configuration says about clients introspecting), once per process: the
    /// schema is the same for every server it runs.
    pub async fn read() -> Arc<Selections> {
        static ONCE: OnceCell<Arc<Selections>> = OnceCell::const_new();
        ONCE.get_or_init(|| async { Arc::new(Selections::written_out().await) }).await.clone()
    }

    async fn written_out() -> Selections {
        let types = Types::read(&crate::graphql::schema_builder(true).finish()).await;
        Selections {
            element: types.of("Element"),
            user: types.of("User"),
            role: types.of("Role"),
            workspace: types.of("Workspace"),
            organization: types.of("Organization"),
            member: types.of("Member"),
            upload: types.of("UploadData"),
            types,
        }
    }
}

/// The schema's types, by name, as introspection gives them.
pub struct Types(HashMap<String, Value>);

impl Types {
    /// Read the types of `schema` (a schema with introspection on).
    pub async fn read(schema: &crate::graphql::ApiSchema) -> Types {
        let res = schema.execute(INTROSPECTION).await;
        let data = res.data.into_json().unwrap_or_default();
        let list = data["__schema"]["types"].as_array().cloned().unwrap_or_default();
        Types(list.into_iter().filter_map(|t| Some((t["name"].as_str()?.to_owned(), t))).collect())
    }

    /// The selection set (with braces) of type `name`.
    pub fn of(&self, name: &str) -> String {
        self.selection(name, 0)
    }

    fn selection(&self, name: &str, depth: usize) -> String {
        let Some(t) = self.0.get(name) else { return String::new() };
        match t["kind"].as_str() {
            Some("INTERFACE" | "UNION") => {
                let mut out = String::from("{ __typename");
                for p in t["possibleTypes"].as_array().into_iter().flatten() {
                    if let Some(p) = p["name"].as_str() {
                        out.push_str(&format!(" ... on {p} {}", self.fields(p, depth)));
                    }
                }
                out + " }"
            }
            _ => self.fields(name, depth),
        }
    }

    /// `{ field … }` of an object type.
    fn fields(&self, name: &str, depth: usize) -> String {
        let Some(t) = self.0.get(name) else { return "{ __typename }".into() };
        let mut out = String::from("{ __typename");
        for f in t["fields"].as_array().into_iter().flatten() {
            let Some(field) = f["name"].as_str() else { continue };
            let required_arg = f["args"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|a| a["type"]["kind"] == "NON_NULL" && a["defaultValue"].is_null());
            if required_arg || SKIPPED.contains(&field) {
                continue;
            }
            let (kind, of) = named(&f["type"]);
            match kind {
                "SCALAR" | "ENUM" => out.push_str(&format!(" {field}")),
                _ if self.is_element(of) => out.push_str(&format!(" {field} {{ __typename id }}")),
                _ if depth < MAX_DEPTH => out.push_str(&format!(" {field} {}", self.selection(of, depth + 1))),
                _ => {}
            }
        }
        out + " }"
    }

    /// A REST body as input of GraphQL type `name`: enum values in the REST API's spelling
    /// (`rectangle`, `arrow-fill`, `sticky-rectangle`) become the schema's (`Rectangle`,
    /// `ArrowFill`, `StickySquare`). Anything else is left for GraphQL to check.
    pub fn coerce_input(&self, name: &str, value: &mut Value) {
        let Some(t) = self.0.get(name) else { return };
        match (t["kind"].as_str(), value) {
            (Some("INPUT_OBJECT"), Value::Object(fields)) => {
                for f in t["inputFields"].as_array().into_iter().flatten() {
                    let Some(v) = f["name"].as_str().and_then(|n| fields.get_mut(n)) else { continue };
                    let (_, of) = named(&f["type"]);
                    match v {
                        Value::Array(items) => items.iter_mut().for_each(|i| self.coerce_input(of, i)),
                        v => self.coerce_input(of, v),
                    }
                }
            }
            (Some("ENUM"), Value::String(given)) => {
                let want = rest_spelling(given);
                let values = t["enumValues"].as_array().into_iter().flatten().filter_map(|v| v["name"].as_str());
                if let Some(found) = values.into_iter().find(|v| rest_spelling(v) == want) {
                    *given = found.to_owned();
                }
            }
            _ => {}
        }
    }

    fn is_element(&self, name: &str) -> bool {
        ELEMENT_TYPES.contains(&name)
            || self.0.get(name).and_then(|t| t["kind"].as_str()) == Some("OBJECT")
                && self
                    .0
                    .get("Element")
                    .is_some_and(|e| e["possibleTypes"].as_array().into_iter().flatten().any(|p| p["name"] == name))
    }
}

/// An enum value compared without case and separators; the REST API's one other name
/// (`sticky-rectangle`, its sticky note) as the schema's.
fn rest_spelling(v: &str) -> String {
    let plain: String = v.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    match plain.as_str() {
        "stickyrectangle" => "stickysquare".into(),
        _ => plain,
    }
}

/// The kind and name of a field's type, through lists and non-null wrappers.
fn named(t: &Value) -> (&str, &str) {
    let mut t = t;
    while t["name"].is_null() && !t["ofType"].is_null() {
        t = &t["ofType"];
    }
    (t["kind"].as_str().unwrap_or(""), t["name"].as_str().unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::rest_spelling;

    #[test]
    fn rest_enum_spellings_meet_the_schemas() {
        assert_eq!(rest_spelling("arrow-fill"), rest_spelling("ArrowFill"));
        assert_eq!(rest_spelling("rectangle"), rest_spelling("Rectangle"));
        assert_eq!(rest_spelling("sticky-rectangle"), rest_spelling("StickySquare"));
        assert_eq!(rest_spelling("complete_success"), rest_spelling("completeSuccess"));
        assert_ne!(rest_spelling("arrow-up"), rest_spelling("ArrowUpDown"));
    }
}
