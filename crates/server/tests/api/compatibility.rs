//! docs/compatibility.md against tessera's schema: every row's status must hold (present or
//! absent, with the platform's arguments where it says `same`), and every root field of tessera's
//! schema must have a row. Regenerate the table with tools/compat/surface.py.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Root fields of tessera's schema by kind, with their argument names; and its type names.
async fn schema() -> (BTreeMap<(String, String), BTreeSet<String>>, BTreeSet<String>) {
    let schema = tessera::graphql::schema_builder(true).finish();
    let q = "{ __schema { types { name fields(includeDeprecated: true) { name args { name } } } queryType { name } mutationType { name } subscriptionType { name } } }";
    let res = schema.execute(q).await;
    assert!(res.errors.is_empty(), "{:?}", res.errors);
    let data: Value = serde_json::to_value(&res.data).expect("json");
    let types = data["__schema"]["types"].as_array().expect("types");
    let mut fields = BTreeMap::new();
    for kind in ["Query", "Mutation", "Subscription"] {
        let t = types.iter().find(|t| t["name"] == kind).expect("root type");
        for f in t["fields"].as_array().expect("fields") {
            let args =
                f["args"].as_array().expect("args").iter().filter_map(|a| a["name"].as_str().map(str::to_string));
            fields.insert((kind.to_string(), f["name"].as_str().expect("name").to_string()), args.collect());
        }
    }
    let names = types.iter().filter_map(|t| t["name"].as_str().map(str::to_string)).collect();
    (fields, names)
}

#[tokio::test]
async fn the_compatibility_table_matches_the_schema() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/compatibility.md"))
        .expect("docs/compatibility.md");
    let (fields, types) = schema().await;
    let mut listed = BTreeSet::new();
    let mut problems = Vec::new();
    let mut rows = 0;
    for line in doc.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let [kind, name, arguments, status, _lacks, _notes] = cells[..] else { continue };
        let Some(name) = name.strip_prefix('`').and_then(|n| n.strip_suffix('`')) else { continue };
        rows += 1;
        let root = kind.trim_end_matches(" (tessera)").to_string();
        let present = if kind == "Element" {
            types.contains(name)
        } else {
            listed.insert((root.clone(), name.to_string()));
            fields.contains_key(&(root.clone(), name.to_string()))
        };
        let ok = match status {
            "same" | "different" | "tessera" => present,
            "not yet" => !present,
            other => {
                problems.push(format!("{kind} {name}: unknown status {other:?}"));
                continue;
            }
        };
        if !ok {
            problems.push(format!(
                "{kind} {name}: the table says {status:?}, the schema {}",
                if present { "has it" } else { "has not" }
            ));
        }
        if status == "same" && kind != "Element" && arguments != "–" {
            let ours = &fields[&(root, name.to_string())];
            for arg in arguments.split(' ').filter(|a| !ours.contains(*a)) {
                problems.push(format!("{kind} {name}: `same`, but argument {arg} is missing"));
            }
        }
    }
    for (kind, name) in fields.keys().filter(|k| !listed.contains(*k)) {
        problems.push(format!("{kind} {name}: in the schema, not in the table"));
    }
    assert!(rows > 100, "the table was read ({rows} rows)");
    assert!(
        problems.is_empty(),
        "docs/compatibility.md is stale (rerun tools/compat/surface.py):\n{}",
        problems.join("\n")
    );
}
