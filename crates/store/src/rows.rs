//! Row types as stored, and their conversion into domain types.

use std::collections::BTreeMap;
use tessera_core::auth::{parse_scopes, TokenKind, TokenRecord};
use tessera_core::element::Element;
use tessera_core::event::{Actor, Event, EventPayload};
use tessera_core::ids::{OrgId, TokenId, UserId, WorkspaceId};
use tessera_core::model::{AccessFacts, ActorType, Comment, Organization, ResourceType, Role, User, Workspace};
use tessera_core::oauth::App;
use tessera_core::ports::{AuthCode, Consent};
use tessera_core::{Error, Result};

/// A database error as a domain error: losing the database (connection refused or cut, pool
/// exhausted, server shutting down, disk full or failing, SQLite busy) is `Unavailable`;
/// anything else is `Internal`.
pub fn db_err(e: sqlx::Error) -> Error {
    let unavailable = match &e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|c| unavailable_code(&c)),
        _ => false,
    };
    if unavailable {
        Error::Unavailable(format!("database: {e}"))
    } else {
        Error::internal(format!("database: {e}"))
    }
}

/// PostgreSQL SQLSTATE classes 08 (connection exception), 53 (insufficient resources: disk full,
/// out of memory, too many connections), 57 (operator intervention: shutdown) and 25006 (a
/// read-only transaction: a standby, or the database set read-only); SQLite's (extended) result
/// codes BUSY 5, LOCKED 6, READONLY 8, IOERR 10 and FULL 13.
fn unavailable_code(code: &str) -> bool {
    if code.len() == 5 {
        return code == "25006" || ["08", "53", "57"].iter().any(|class| code.starts_with(class));
    }
    code.parse::<u32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6 | 8 | 10 | 13))
}

fn corrupt(what: &str, detail: impl std::fmt::Display) -> Error {
    Error::internal(format!("stored {what} is malformed: {detail}"))
}

#[derive(sqlx::FromRow)]
pub struct RoleRow {
    pub resource_type: String,
    pub id: String,
    pub name: String,
    pub description: String,
    pub permissions: String,
}

impl RoleRow {
    pub fn into_role(self) -> Result<Role> {
        Ok(Role {
            resource_type: ResourceType::parse(&self.resource_type)
                .ok_or_else(|| corrupt("role", &self.resource_type))?,
            permissions: serde_json::from_str(&self.permissions).map_err(|e| corrupt("role", e))?,
            id: self.id,
            name: self.name,
            description: self.description,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

impl From<OrgRow> for Organization {
    fn from(r: OrgRow) -> Self {
        Organization { id: OrgId(r.id), name: r.name, created_at: r.created_at }
    }
}

#[derive(sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub kind: String,
    pub email: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub bot_org_id: Option<String>,
    pub created_at: i64,
}

impl UserRow {
    pub fn into_user(self) -> Result<User> {
        Ok(User {
            kind: ActorType::parse(&self.kind).ok_or_else(|| corrupt("user", &self.kind))?,
            id: UserId(self.id),
            email: self.email,
            first_name: self.first_name,
            last_name: self.last_name,
            bot_org: self.bot_org_id.map(OrgId),
            created_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct TokenRow {
    pub id: String,
    pub kind: String,
    pub user_id: String,
    pub client_id: Option<String>,
    pub scopes: String,
    pub workspaces: Option<String>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
    pub family_id: Option<String>,
    pub rotated_at: Option<i64>,
}

impl TokenRow {
    pub fn into_record(self) -> Result<TokenRecord> {
        let workspaces = match self.workspaces {
            Some(s) => Some(serde_json::from_str::<Vec<WorkspaceId>>(&s).map_err(|e| corrupt("token", e))?),
            None => None,
        };
        Ok(TokenRecord {
            kind: TokenKind::parse(&self.kind).ok_or_else(|| corrupt("token", &self.kind))?,
            id: TokenId(self.id),
            user_id: UserId(self.user_id),
            client_id: self.client_id,
            scopes: self.scopes,
            workspaces,
            expires_at: self.expires_at,
            revoked: self.revoked_at.is_some(),
            created_at: self.created_at,
            family_id: self.family_id,
            rotated_at: self.rotated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct WorkspaceRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: String,
    pub is_public: i64,
    pub owner_id: String,
    pub created_at: i64,
    pub updated_at: Option<i64>,
    pub archived_at: Option<i64>,
    pub background_theme: Option<String>,
}

impl From<WorkspaceRow> for Workspace {
    fn from(r: WorkspaceRow) -> Self {
        Workspace {
            id: WorkspaceId(r.id),
            org_id: OrgId(r.org_id),
            name: r.name,
            description: r.description,
            is_public: r.is_public != 0,
            owner_id: UserId(r.owner_id),
            created_at: r.created_at,
            updated_at: r.updated_at,
            archived_at: r.archived_at,
            background_theme: r.background_theme,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct FactsRow {
    #[sqlx(flatten)]
    pub workspace: WorkspaceRow,
    pub ws_role: Option<String>,
    pub org_role: Option<String>,
    pub head: i64,
}

impl From<FactsRow> for AccessFacts {
    fn from(r: FactsRow) -> Self {
        AccessFacts { workspace: r.workspace.into(), workspace_role: r.ws_role, org_role: r.org_role, head: r.head }
    }
}

#[derive(sqlx::FromRow)]
pub struct EventRow {
    pub workspace_id: String,
    pub cursor: i64,
    pub actor_id: String,
    pub actor_type: String,
    pub client_id: Option<String>,
    pub payload: String,
    pub created_at: i64,
}

impl EventRow {
    pub fn into_event(self) -> Result<Event> {
        Ok(Event {
            payload: serde_json::from_str(&self.payload)
                .map_err(|e| e.to_string())
                .and_then(EventPayload::from_stored)
                .map_err(|e| corrupt("event", e))?,
            actor: Actor {
                kind: ActorType::parse(&self.actor_type).ok_or_else(|| corrupt("event", &self.actor_type))?,
                id: UserId(self.actor_id),
                client_id: self.client_id,
            },
            workspace_id: WorkspaceId(self.workspace_id),
            cursor: self.cursor,
            created_at: self.created_at,
        })
    }
}

pub const COMMENT_COLUMNS: &str = "id, workspace_id, element_id, author_id, text, created_at, data";

#[derive(sqlx::FromRow)]
pub struct CommentRow {
    id: String,
    workspace_id: String,
    element_id: Option<String>,
    author_id: String,
    text: String,
    created_at: i64,
    data: Option<String>,
}

impl CommentRow {
    /// The comment as stored whole, or (stored before comments had blocks) from its columns.
    pub fn comment(self) -> Result<Comment> {
        match &self.data {
            Some(d) => serde_json::from_str(d).map_err(|e| corrupt("comment", e)),
            None => serde_json::from_value(serde_json::json!({"id": self.id, "workspace_id": self.workspace_id,
                "element_id": self.element_id, "author_id": self.author_id, "text": self.text,
                "created_at": self.created_at}))
            .map_err(|e| corrupt("comment", e)),
        }
    }
}

pub fn element_from_json(data: &str) -> Result<Element> {
    serde_json::from_str(data)
        .map_err(|e| e.to_string())
        .and_then(Element::from_stored)
        .map_err(|e| corrupt("element", e))
}

pub fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(Error::internal)
}

pub fn workspaces_from_json(s: Option<&str>) -> Result<Option<Vec<WorkspaceId>>> {
    s.map(|s| serde_json::from_str::<Vec<WorkspaceId>>(s).map_err(|e| corrupt("workspace list", e))).transpose()
}

#[derive(sqlx::FromRow)]
pub struct AppRow {
    pub client_id: String,
    pub name: String,
    pub owner_id: String,
    pub public: i64,
    pub secret_hash: Option<String>,
    pub redirect_uris: String,
    pub created_at: i64,
    pub require_pkce: i64,
    pub post_logout_redirect_uris: String,
}

impl AppRow {
    pub fn into_app(self) -> Result<(App, Option<String>)> {
        let app = App {
            redirect_uris: serde_json::from_str(&self.redirect_uris).map_err(|e| corrupt("app", e))?,
            client_id: self.client_id,
            name: self.name,
            owner_id: UserId(self.owner_id),
            public: self.public != 0,
            require_pkce: self.public != 0 || self.require_pkce != 0,
            post_logout_redirect_uris: serde_json::from_str(&self.post_logout_redirect_uris)
                .map_err(|e| corrupt("app", e))?,
            created_at: self.created_at,
        };
        Ok((app, self.secret_hash))
    }
}

#[derive(sqlx::FromRow)]
pub struct ConsentRow {
    pub user_id: String,
    pub client_id: String,
    pub scopes: String,
    pub workspaces: Option<String>,
    pub created_at: i64,
}

/// The `workspaces` column of a consent: each scope's workspaces (`null`: all). Rows written
/// before scopes kept their own workspaces hold one list for all scopes (or `NULL`).
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum ConsentReach {
    PerScope(BTreeMap<String, Option<Vec<WorkspaceId>>>),
    /// Its list is not used: such a consent is approved again (see `must_reconfirm`).
    Shared(#[allow(dead_code)] Vec<serde::de::IgnoredAny>),
}

impl ConsentRow {
    pub fn into_consent(self) -> Result<Consent> {
        let scopes = parse_scopes(&self.scopes).map_err(|e| corrupt("consent scopes", e))?;
        let reach = self
            .workspaces
            .as_deref()
            .map(serde_json::from_str::<ConsentReach>)
            .transpose()
            .map_err(|e| corrupt("consent workspaces", e))?;
        let mut consent = Consent::new(UserId(self.user_id), self.client_id, self.created_at);
        match reach {
            // Written before scopes kept their own workspaces: to be approved again.
            None | Some(ConsentReach::Shared(_)) => {
                consent.approve(&scopes, &None);
                consent.must_reconfirm = true;
            }
            Some(ConsentReach::PerScope(map)) => {
                for s in scopes {
                    let reach = map.get(s.as_str()).cloned().flatten();
                    consent.approve(&[s].into_iter().collect(), &reach);
                }
            }
        }
        Ok(consent)
    }
}

/// The `workspaces` column for a consent (see [`ConsentReach`]).
pub fn consent_reach_json(c: &Consent) -> Result<String> {
    let map: BTreeMap<&str, &Option<Vec<WorkspaceId>>> = c.grants.iter().map(|(s, r)| (s.as_str(), r)).collect();
    to_json(&map)
}

#[derive(sqlx::FromRow)]
pub struct CodeRow {
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scopes: String,
    pub workspaces: Option<String>,
    pub code_challenge: Option<String>,
    pub family_id: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub nonce: Option<String>,
    pub auth_time: i64,
    pub mfa: i64,
}

impl CodeRow {
    pub fn into_code(self) -> Result<(AuthCode, bool)> {
        let used = self.used_at.is_some();
        let code = AuthCode {
            workspaces: workspaces_from_json(self.workspaces.as_deref())?,
            client_id: self.client_id,
            user_id: UserId(self.user_id),
            redirect_uri: self.redirect_uri,
            scopes: self.scopes,
            code_challenge: self.code_challenge,
            family_id: self.family_id,
            expires_at: self.expires_at,
            nonce: self.nonce,
            auth_time: self.auth_time,
            mfa: self.mfa != 0,
        };
        Ok((code, used))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losing_the_database_is_unavailable_and_other_failures_are_internal() {
        for e in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into()),
        ] {
            assert_eq!(db_err(e).code(), "UNAVAILABLE");
        }
        assert_eq!(db_err(sqlx::Error::RowNotFound).code(), "INTERNAL");
        for code in ["08006", "57P01", "53100", "25006", "5", "8", "778", "13"] {
            assert!(unavailable_code(code), "{code}");
        }
        for code in ["23505", "42P01", "19", "2067", "1"] {
            assert!(!unavailable_code(code), "{code}");
        }
        assert_eq!(db_err(sqlx::Error::ColumnNotFound("x".into())).code(), "INTERNAL");
    }

    #[test]
    fn consents_stored_before_per_scope_workspaces_must_be_approved_again() {
        let row = |workspaces: Option<&str>| ConsentRow {
            user_id: "u".into(),
            client_id: "app".into(),
            scopes: "elements:write offline_access".into(),
            workspaces: workspaces.map(str::to_string),
            created_at: 0,
        };
        for old in [None, Some(r#"["w1"]"#)] {
            let c = row(old).into_consent().expect("consent");
            assert!(c.must_reconfirm, "{old:?}");
            assert_eq!(c.covers(&c.scopes()), None);
        }
        let mut c = row(None).into_consent().expect("consent");
        c.approve(&c.scopes(), &Some(vec![WorkspaceId("w1".into())]));
        let again = row(Some(&consent_reach_json(&c).expect("json"))).into_consent().expect("consent");
        assert!(!again.must_reconfirm);
        assert_eq!(again, c, "written and read back unchanged");
    }
}
