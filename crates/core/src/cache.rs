//! Recently used credentials, kept in memory so that a bearer request or a client
//! authentication needs no database read.
//!
//! Correctness rests on one signal: whenever tokens are revoked or an app's credentials change
//! (on this node, on another node, or from the command line) the server calls
//! [`Credentials::forget`] with what changed, and only those entries go. The signal reaches a
//! node at once for its own changes and through PostgreSQL notifications for other nodes'
//! changes; revocations made by another process are seen by the revocation poll (every 500 ms).
//! Entries also expire after [`KEEP`], a bound on staleness should a signal ever be missed.
//!
//! A lookup that raced with a change must not re-insert what the change removed: readers take
//! the generation before reading the database and [`Cache::keep`] drops the result if the
//! generation moved meanwhile.

use crate::auth::TokenRecord;
use crate::model::User;
use crate::oauth::App;
use crate::ports::Revoked;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The longest an entry is trusted without a fresh read.
pub const KEEP: Duration = Duration::from_secs(60);
/// Past this many entries the cache starts over (a bound on memory, not an eviction policy).
const MAX_ENTRIES: usize = 50_000;
/// Entries past [`KEEP`] are dropped once the cache holds this many, or twice as many as were
/// fresh at the last sweep: memory follows the credentials in use, not every one ever seen.
const SWEEP_AT_LEAST: usize = 1024;

/// A token and its user, as read together from the store.
pub type TokenEntry = Arc<(TokenRecord, Arc<User>)>;
/// An app and its secret hash.
pub type AppEntry = Arc<(App, Option<String>)>;

pub struct Cache<V> {
    inner: RwLock<Inner<V>>,
}

struct Inner<V> {
    generation: u64,
    entries: HashMap<String, (Instant, V)>,
    /// The size at which stale entries are dropped next.
    sweep_at: usize,
}

impl<V: Clone> Default for Cache<V> {
    fn default() -> Self {
        Cache { inner: RwLock::new(Inner { generation: 0, entries: HashMap::new(), sweep_at: SWEEP_AT_LEAST }) }
    }
}

impl<V: Clone> Cache<V> {
    /// The value under `key` if it is fresh, else the generation to pass to [`Cache::keep`].
    fn get(&self, key: &str) -> Result<V, u64> {
        let Ok(inner) = self.inner.read() else { return Err(u64::MAX) };
        match inner.entries.get(key) {
            Some((at, v)) if at.elapsed() < KEEP => Ok(v.clone()),
            _ => Err(inner.generation),
        }
    }

    /// Remember a value read at `generation`, unless something was forgotten since.
    fn keep(&self, generation: u64, key: &str, value: V) {
        let Ok(mut inner) = self.inner.write() else { return };
        if inner.generation != generation {
            return;
        }
        if inner.entries.len() >= inner.sweep_at {
            inner.entries.retain(|_, (at, _)| at.elapsed() < KEEP);
            inner.sweep_at = (inner.entries.len() * 2).max(SWEEP_AT_LEAST);
        }
        if inner.entries.len() >= MAX_ENTRIES {
            inner.entries.clear();
        }
        inner.entries.insert(key.to_string(), (Instant::now(), value));
    }

    /// The cached value, or `load`'s result, remembered when `keep_if` accepts it.
    pub async fn get_or_load<E>(
        &self,
        key: &str,
        load: impl std::future::Future<Output = Result<Option<V>, E>>,
        keep_if: impl Fn(&V) -> bool,
    ) -> Result<Option<V>, E> {
        let generation = match self.get(key) {
            Ok(value) => return Ok(Some(value)),
            Err(generation) => generation,
        };
        let found = load.await?;
        if let Some(value) = found.as_ref().filter(|v| keep_if(v)) {
            self.keep(generation, key, value.clone());
        }
        Ok(found)
    }

    fn clear(&self) {
        self.forget_where(|_, _| true);
    }

    /// Drop the entries `gone` picks; reads in flight are not kept either.
    fn forget_where(&self, gone: impl Fn(&str, &V) -> bool) {
        if let Ok(mut inner) = self.inner.write() {
            inner.generation += 1;
            inner.entries.retain(|k, (_, v)| !gone(k, v));
        }
    }
}

/// Bearer tokens (by hash), apps (by client id) and the users owning apps (by id; users are
/// never changed or deleted today — a change to one must send the same signal).
#[derive(Default)]
pub struct Credentials {
    pub tokens: Cache<TokenEntry>,
    pub apps: Cache<AppEntry>,
    pub users: Cache<Arc<User>>,
}

impl Credentials {
    /// Forget what was revoked or changed.
    pub fn forget(&self, what: &Revoked) {
        match what {
            Revoked::Tokens(ids) => self.tokens.forget_where(|_, entry| ids.contains(&entry.0.id)),
            Revoked::App(client_id) => self.apps.forget_where(|key, _| key == client_id),
            // Permissions are never cached: each request asks the store.
            Revoked::Access(_) => {}
            Revoked::Everything => {
                self.tokens.clear();
                self.apps.clear();
                self.users.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_read_before_a_change_is_not_kept_after_it() {
        let cache: Cache<u32> = Cache::default();
        let Err(generation) = cache.get("k") else { panic!("empty cache has no value") };
        cache.clear();
        cache.keep(generation, "k", 1);
        assert!(cache.get("k").is_err(), "a stale read must not be cached");
        let Err(generation) = cache.get("k") else { panic!("still empty") };
        cache.keep(generation, "k", 2);
        assert_eq!(cache.get("k"), Ok(2));
        cache.clear();
        assert!(cache.get("k").is_err());
    }

    #[test]
    fn a_revocation_forgets_only_what_it_names() {
        use crate::auth::TokenKind;
        use crate::ids::{TokenId, UserId};
        let record = |id: &str| TokenRecord {
            id: TokenId(id.into()),
            kind: TokenKind::Access,
            user_id: UserId("u".into()),
            client_id: None,
            scopes: String::new(),
            workspaces: None,
            expires_at: None,
            revoked: false,
            created_at: 0,
            family_id: None,
            rotated_at: None,
        };
        let user = Arc::new(User {
            id: UserId("u".into()),
            kind: crate::model::ActorType::User,
            email: None,
            first_name: String::new(),
            last_name: String::new(),
            bot_org: None,
            created_at: 0,
        });
        let c = Credentials::default();
        for (hash, id) in [("ha", "a"), ("hb", "b")] {
            let Err(g) = c.tokens.get(hash) else { panic!("empty") };
            c.tokens.keep(g, hash, Arc::new((record(id), user.clone())));
        }
        c.forget(&Revoked::Tokens(vec![TokenId("a".into())]));
        assert!(c.tokens.get("ha").is_err(), "the revoked token is forgotten");
        assert!(c.tokens.get("hb").is_ok(), "another token stays cached");
        c.forget(&Revoked::App("app_x".into()));
        assert!(c.tokens.get("hb").is_ok(), "an app's change leaves tokens alone");
        c.forget(&Revoked::Everything);
        assert!(c.tokens.get("hb").is_err());
    }

    #[test]
    fn stale_entries_do_not_pile_up() {
        let cache: Cache<u32> = Cache::default();
        let Some(long_ago) = Instant::now().checked_sub(KEEP * 2) else { return };
        if let Ok(mut inner) = cache.inner.write() {
            for i in 0..SWEEP_AT_LEAST - 1 {
                inner.entries.insert(format!("old{i}"), (long_ago, 0));
            }
        }
        for i in 0..10 {
            let Err(generation) = cache.get(&format!("new{i}")) else { panic!("not cached yet") };
            cache.keep(generation, &format!("new{i}"), i);
        }
        let len = cache.inner.read().map(|inner| inner.entries.len()).unwrap_or(0);
        assert_eq!(len, 10, "only the fresh entries are left");
        assert_eq!(cache.get("new9"), Ok(9));
    }
}
