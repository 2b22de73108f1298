//! Password hashing off the async workers. Argon2id is slow on purpose (tens of milliseconds
//! of CPU and ~19 MiB each); run on the request's worker thread, a burst of sign-ins — even for
//! unknown e-mail addresses, which hash a dummy — would stall every request and socket served
//! by that thread. Here each hash runs on the blocking pool, at most one per core at a time,
//! with a bounded queue: past it the sign-in is refused at once with [`Error::Busy`]
//! (HTTP 429), instead of piling up.

use crate::auth;
use crate::error::{Error, Result};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// An Argon2id hash to verify against when the account does not exist.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| auth::hash_password("no such account, no such password").unwrap_or_default())
}

/// Sign-ins that may wait for a hashing slot, per slot.
const QUEUED_PER_SLOT: usize = 64;

pub struct Passwords {
    /// Hashes running now.
    running: Semaphore,
    /// Hashes running or waiting.
    admitted: Semaphore,
}

impl Default for Passwords {
    fn default() -> Self {
        let slots = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Passwords::new(slots, slots * QUEUED_PER_SLOT)
    }
}

impl Passwords {
    /// At most `slots` hashes at once and `queued` more waiting.
    pub fn new(slots: usize, queued: usize) -> Self {
        Passwords { running: Semaphore::new(slots.max(1)), admitted: Semaphore::new(slots.max(1) + queued) }
    }

    /// Run `work` on the blocking pool when a slot is free; `Busy` when too many are waiting.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let Ok(_admitted) = self.admitted.try_acquire() else {
            return Err(Error::Busy("too many sign-ins at once; try again in a moment".into()));
        };
        let _running = self.running.acquire().await.map_err(Error::internal)?;
        tokio::task::spawn_blocking(work).await.map_err(Error::internal)
    }

    /// Whether `password` matches `stored` (an Argon2id hash; anything else never matches).
    /// Without a stored hash (no such account) a dummy is verified instead, so that the answer
    /// takes as long as for a wrong password; it is always false.
    pub async fn verify(&self, password: &str, stored: Option<Arc<str>>) -> Result<bool> {
        let password = password.to_string();
        self.run(move || match stored {
            Some(stored) => auth::verify_password(&password, &stored),
            None => {
                // The work of a check, for a missing account; its result means nothing.
                std::hint::black_box(auth::verify_password(&password, dummy_hash()));
                false
            }
        })
        .await
    }

    /// A new Argon2id hash of `password` (its length checked first).
    pub async fn hash(&self, password: &str) -> Result<String> {
        let password = password.to_string();
        self.run(move || auth::hash_password(&password)).await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashing_past_the_queue_is_refused_not_queued_without_end() {
        let passwords = Arc::new(Passwords::new(1, 1));
        let stored: Arc<str> = auth::hash_password("correct horse").expect("hash").into();
        assert!(passwords.verify("correct horse", Some(stored.clone())).await.expect("verify"));
        assert!(!passwords.verify("wrong horse", Some(stored.clone())).await.expect("verify"));
        assert!(!passwords.verify("no such account, no such password", None).await.expect("verify"));
        // Hold the one slot; two sign-ins then take the two places (one to run, one queued)
        // and a third is refused at once.
        let held = passwords.running.acquire().await.expect("slot");
        let waiting: Vec<_> = (0..2)
            .map(|_| {
                let (p, s) = (passwords.clone(), stored.clone());
                tokio::spawn(async move { p.verify("correct horse", Some(s)).await })
            })
            .collect();
        while passwords.admitted.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let refused = passwords.verify("correct horse", Some(stored.clone())).await;
        assert!(matches!(refused, Err(Error::Busy(_))), "{refused:?}");
        drop(held);
        for w in waiting {
            assert!(w.await.expect("join").expect("the admitted ones run once the slot is free"));
        }
        assert!(passwords.verify("correct horse", Some(stored)).await.expect("room again"));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn hashing_does_not_run_on_the_async_worker() {
        // On a single-threaded runtime, a hash on the worker would block this timer task.
        let passwords = Passwords::new(1, 1);
        let ticks = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let counter = ticks.clone();
        let ticker = tokio::spawn(async move {
            loop {
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        });
        let hashed = passwords.hash("a long enough password").await.expect("hash");
        ticker.abort();
        assert!(hashed.starts_with("$argon2id$"));
        assert!(ticks.load(std::sync::atomic::Ordering::Relaxed) > 1, "the worker kept running other tasks");
    }
}
