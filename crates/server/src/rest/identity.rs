//! The identity routes: the caller, users, organizations and their members, roles, and
//! workspaces. Lists take `cursor` and `pageSize` (and `filterBy` where the platform has it).

use super::{data, page, Caller, RestError};
use crate::app::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// A list's query string: the page, and the platform's `filterBy`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    cursor: Option<String>,
    page_size: Option<i64>,
    filter_by: Option<String>,
}

impl ListQuery {
    fn variables(&self) -> Result<Value, RestError> {
        let filtering = self.filter_by.as_deref().map(filter_by).transpose()?;
        Ok(json!({
            "cursor": self.cursor,
            "pagination": self.page_size.map(|n| json!({"pageSize": n})),
            "filtering": filtering,
        }))
    }
}

/// The platform's `filterBy` (`firstName eq 'Kevin'`, `user.firstName eq 'Kevin' and …`) as a
/// GraphQL filter: each clause `path op value`, a dotted path nesting, clauses joined by `and`.
/// Values are quoted strings (`''` for a quote), numbers, `true` or `false`.
pub fn filter_by(s: &str) -> Result<Value, RestError> {
    let bad = |why: &str| RestError::new("BAD_USER_INPUT", format!("filterBy: {why}"));
    let mut clauses = Vec::new();
    let mut rest = s.trim();
    loop {
        let (path, after) = rest.split_once(char::is_whitespace).ok_or_else(|| bad("expected `field op value`"))?;
        let (op, after) = after
            .trim_start()
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad("expected an operator and a value"))?;
        let op = match op.to_ascii_lowercase().as_str() {
            "eq" => "eq",
            "ne" => "ne",
            "contains" => "contains",
            "startswith" => "startsWith",
            "gt" => "gt",
            "ge" => "ge",
            "lt" => "lt",
            "le" => "le",
            other => return Err(bad(&format!("unknown operator {other:?}"))),
        };
        let (value, after) =
            value(after.trim_start()).ok_or_else(|| bad("expected a quoted string, a number, true or false"))?;
        let mut clause = json!({ op: value });
        for part in path.rsplit('.') {
            if part.is_empty() || !part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(bad(&format!("{path:?} is not a field path")));
            }
            clause = json!({ part: clause });
        }
        clauses.push(clause);
        let after = after.trim_start();
        if after.is_empty() {
            break;
        }
        rest = match after.split_once(char::is_whitespace) {
            Some((and, more)) if and.eq_ignore_ascii_case("and") => more.trim_start(),
            _ => return Err(bad("clauses are joined by `and`")),
        };
    }
    Ok(if clauses.len() == 1 { clauses.remove(0) } else { json!({ "and": clauses }) })
}

/// One value at the start of `s`, and what follows it.
fn value(s: &str) -> Option<(Value, &str)> {
    if let Some(quoted) = s.strip_prefix('\'') {
        let mut out = String::new();
        let mut chars = quoted.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c != '\'' {
                out.push(c);
            } else if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                out.push('\'');
                chars.next();
            } else {
                return Some((Value::String(out), &quoted[i + 1..]));
            }
        }
        return None;
    }
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    let (word, after) = s.split_at(end);
    let v = match word {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => serde_json::from_str::<serde_json::Number>(word).ok().map(Value::Number)?,
    };
    Some((v, after))
}

/// A paged list field read with the list parameters: the operation's variable declarations,
/// and `field(cursor, pagination[, filtering]) { results … totalItems next prev }`.
fn paged(field: &str, filters: Option<&str>, selection: &str) -> (String, String) {
    let (declared, passed) = match filters {
        Some(f) => (format!(", $filtering: {f}"), ", filtering: $filtering"),
        None => (String::new(), ""),
    };
    (
        format!("$cursor: String, $pagination: PaginationArgs{declared}"),
        format!(
            "{field}(cursor: $cursor, pagination: $pagination{passed}) {{ results {selection} totalItems next prev }}"
        ),
    )
}

pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Response, RestError> {
    let q = format!("{{ me {{ profile {} }} }}", state.rest.user);
    let mut d = caller.run(&state, &q, json!({})).await?;
    Ok(data(d["me"]["profile"].take()))
}

pub async fn my_role(State(state): State<AppState>, caller: Caller) -> Result<Response, RestError> {
    let q = format!("{{ me {{ profile {{ applicationRole {} }} }} }}", state.rest.role);
    let mut d = caller.run(&state, &q, json!({})).await?;
    Ok(data(d["me"]["profile"]["applicationRole"].take()))
}

pub async fn my_workspaces(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Response, RestError> {
    let (declared, list) = paged("workspaces", None, &state.rest.workspace);
    let doc = format!("query({declared}) {{ me {{ {list} }} }}");
    let mut vars = q.variables()?;
    if q.filter_by.is_some() {
        return Err(RestError::new("BAD_USER_INPUT", "filterBy is not taken here"));
    }
    vars.as_object_mut().map(|v| v.remove("filtering"));
    let d = caller.run(&state, &doc, vars).await?;
    Ok(page(&d["me"]["workspaces"]))
}

pub async fn users(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Response, RestError> {
    let (declared, list) = paged("users", Some("UserFilters"), &state.rest.user);
    let doc = format!("query({declared}) {{ {list} }}");
    let d = caller.run(&state, &doc, q.variables()?).await?;
    Ok(page(&d["users"]))
}

/// A user's organizations: the caller's own (`me` or their id); anyone else's are not shown.
pub async fn user_organizations(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, RestError> {
    let (declared, list) = paged("organizations", Some("OrganizationFilters"), &state.rest.organization);
    let doc = format!("query({declared}) {{ me {{ profile {{ id }} {list} }} }}");
    let d = caller.run(&state, &doc, q.variables()?).await?;
    if user_id != "me" && d["me"]["profile"]["id"] != user_id.as_str() {
        return Err(RestError::new("NOT_FOUND", "not found: user"));
    }
    Ok(page(&d["me"]["organizations"]))
}

pub async fn roles(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Response, RestError> {
    let (declared, list) = paged("roles", Some("RoleFilters"), &state.rest.role);
    let doc = format!("query({declared}) {{ {list} }}");
    let d = caller.run(&state, &doc, q.variables()?).await?;
    Ok(page(&d["roles"]))
}

pub async fn organization(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> Result<Response, RestError> {
    let doc = format!("query($id: String!) {{ organization(organizationId: $id) {} }}", state.rest.organization);
    let mut d = caller.run(&state, &doc, json!({"id": org_id})).await?;
    Ok(data(d["organization"].take()))
}

pub async fn members(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, RestError> {
    let (declared, list) = paged("members", Some("MemberFilters"), &state.rest.member);
    let doc = format!("query($id: String!, {declared}) {{ organization(organizationId: $id) {{ {list} }} }}");
    let mut vars = q.variables()?;
    vars["id"] = json!(org_id);
    let d = caller.run(&state, &doc, vars).await?;
    Ok(page(&d["organization"]["members"]))
}

pub async fn workspace(
    State(state): State<AppState>,
    caller: Caller,
    Path(workspace_id): Path<String>,
) -> Result<Response, RestError> {
    let doc = format!("query($id: String!) {{ workspace(workspaceId: $id) {} }}", state.rest.workspace);
    let mut d = caller.run(&state, &doc, json!({"id": workspace_id})).await?;
    Ok(data(d["workspace"].take()))
}

/// `POST /v3/workspaces` with the platform's `CreateWorkspaceInput` as the body: 201.
pub async fn create_workspace(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, RestError> {
    let input: Map<String, Value> = super::body(&body)?;
    let doc = format!(
        "mutation($input: CreateWorkspaceInput!) {{ createWorkspace(input: $input) {} }}",
        state.rest.workspace
    );
    let mut d = caller.run(&state, &doc, json!({ "input": input })).await?;
    let mut res = data(d["createWorkspace"].take());
    *res.status_mut() = axum::http::StatusCode::CREATED;
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_by_reads_the_platforms_clauses() {
        assert_eq!(filter_by("firstName eq 'Kevin'").ok(), Some(json!({"firstName": {"eq": "Kevin"}})));
        assert_eq!(
            filter_by("user.firstName eq 'Kevin' and user.email startsWith 'k'").ok(),
            Some(json!({"and": [{"user": {"firstName": {"eq": "Kevin"}}}, {"user": {"email": {"startsWith": "k"}}}]}))
        );
        assert_eq!(filter_by("lastName eq 'O''Brien'").ok(), Some(json!({"lastName": {"eq": "O'Brien"}})));
        assert_eq!(filter_by("isPublic eq true").ok(), Some(json!({"isPublic": {"eq": true}})));
        for bad in [
            "",
            "firstName",
            "firstName eq",
            "firstName like 'x'",
            "firstName eq 'open",
            "a eq 'x' or b eq 'y'",
            "a}b eq 'x'",
        ] {
            assert!(filter_by(bad).is_err(), "{bad:?}");
        }
    }
}
