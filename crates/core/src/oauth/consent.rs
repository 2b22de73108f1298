//! A user's remembered consent to an app: every scope they approved, each with the workspaces
//! it was approved for. A later approval changes only the scopes it asked about, so a remembered
//! consent never covers more than the user approved: approving `offline_access` alone later does
//! not widen an `elements:write` that was approved for one workspace.

use crate::auth::{format_scopes, Scope, Scopes};
use crate::ids::{UserId, WorkspaceId};
use std::collections::BTreeMap;

/// The workspaces an approval reaches: `None` means every workspace the user can reach.
pub type Reach = Option<Vec<WorkspaceId>>;

#[derive(Debug, Clone, PartialEq)]
pub struct Consent {
    pub user_id: UserId,
    pub client_id: String,
    /// Each approved scope and the workspaces it was approved for.
    pub grants: BTreeMap<Scope, Reach>,
    pub created_at: i64,
    /// Remembered from before scopes kept their own workspaces (and possibly widened by the
    /// old merge): the grant still stands — its tokens and refreshes go on — but it covers no
    /// new request until the user has approved again, which replaces it.
    pub must_reconfirm: bool,
}

impl Consent {
    pub fn new(user_id: UserId, client_id: String, created_at: i64) -> Self {
        Consent { user_id, client_id, grants: BTreeMap::new(), created_at, must_reconfirm: false }
    }

    pub fn scopes(&self) -> Scopes {
        self.grants.keys().copied().collect()
    }

    /// Record the user's approval of `scopes` for `reach`. Only scopes that reach into
    /// workspaces are narrowed; the others (`offline_access`, `org:*`) have no workspaces.
    pub fn approve(&mut self, scopes: &Scopes, reach: &Reach) {
        if self.must_reconfirm {
            self.grants.clear();
            self.must_reconfirm = false;
        }
        for s in scopes {
            let narrowed = if s.reaches_workspaces() { reach.clone() } else { None };
            self.grants.insert(*s, narrowed);
        }
    }

    /// Whether this consent covers a request for `scopes`, and if so the workspaces a token for
    /// them may reach: those every requested scope was approved for. `None` when a scope was
    /// never approved, or the scopes were approved for workspaces that have none in common.
    pub fn covers(&self, scopes: &Scopes) -> Option<Reach> {
        if self.must_reconfirm {
            return None;
        }
        let mut reach: Reach = None;
        for s in scopes {
            let approved = self.grants.get(s)?;
            if !s.reaches_workspaces() {
                continue;
            }
            reach = match (reach, approved) {
                (r, None) => r,
                (None, Some(list)) => Some(list.clone()),
                (Some(r), Some(list)) => Some(r.into_iter().filter(|w| list.contains(w)).collect()),
            };
        }
        match reach {
            Some(list) if list.is_empty() => None,
            r => Some(r),
        }
    }

    /// For the portal: each scope, with how many workspaces where it is narrowed.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (s, reach) in &self.grants {
            match reach {
                None => parts.push(s.as_str().to_string()),
                Some(list) if list.len() == 1 => parts.push(format!("{} (1 workspace)", s.as_str())),
                Some(list) => parts.push(format!("{} ({} workspaces)", s.as_str(), list.len())),
            }
        }
        parts.join(" ")
    }

    /// The scopes as a space-separated string (RFC 6749 §3.3).
    pub fn scope_text(&self) -> String {
        format_scopes(&self.scopes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::parse_scopes;

    fn scopes(s: &str) -> Scopes {
        parse_scopes(s).expect("scopes")
    }

    fn ws(ids: &[&str]) -> Reach {
        Some(ids.iter().map(|i| WorkspaceId(i.to_string())).collect())
    }

    #[test]
    fn approving_another_scope_later_does_not_widen_an_earlier_narrowed_one() {
        let mut c = Consent::new(UserId("u".into()), "app".into(), 0);
        c.approve(&scopes("elements:write"), &ws(&["A"]));
        // The app then asks for offline_access alone: no workspace choice, so "all".
        c.approve(&scopes("offline_access"), &None);
        assert_eq!(c.covers(&scopes("elements:write offline_access")), Some(ws(&["A"])));
        assert_eq!(c.covers(&scopes("elements:write")), Some(ws(&["A"])));
        assert_eq!(c.covers(&scopes("offline_access")), Some(None));
        assert_eq!(c.covers(&scopes("elements:read")), None, "never approved");
    }

    #[test]
    fn a_consent_from_before_is_asked_again_and_then_replaced() {
        let mut c = Consent::new(UserId("u".into()), "app".into(), 0);
        c.approve(&scopes("elements:write offline_access"), &None);
        c.must_reconfirm = true;
        assert_eq!(c.covers(&scopes("offline_access")), None, "asked again, however little is requested");
        c.approve(&scopes("elements:write"), &ws(&["A"]));
        assert_eq!(c.scopes(), scopes("elements:write"), "only what was approved now is remembered");
        assert_eq!(c.covers(&scopes("elements:write")), Some(ws(&["A"])));
    }

    #[test]
    fn a_request_reaches_only_what_all_its_scopes_were_approved_for() {
        let mut c = Consent::new(UserId("u".into()), "app".into(), 0);
        c.approve(&scopes("elements:read"), &ws(&["A", "B"]));
        c.approve(&scopes("elements:write"), &ws(&["B", "C"]));
        c.approve(&scopes("workspaces:read org:read"), &None);
        assert_eq!(c.covers(&scopes("elements:read elements:write")), Some(ws(&["B"])));
        assert_eq!(c.covers(&scopes("elements:read workspaces:read org:read")), Some(ws(&["A", "B"])));
        c.approve(&scopes("elements:write"), &ws(&["C"]));
        assert_eq!(c.covers(&scopes("elements:read elements:write")), None, "nothing in common: ask again");
        // v2legacy reaches workspaces too, and keeps what it was approved for.
        c.approve(&scopes("v2legacy"), &ws(&["A"]));
        assert_eq!(c.covers(&scopes("v2legacy")), Some(ws(&["A"])));
        assert_eq!(
            c.describe(),
            "v2legacy (1 workspace) workspaces:read elements:read (2 workspaces) elements:write (1 workspace) org:read"
        );
    }
}
