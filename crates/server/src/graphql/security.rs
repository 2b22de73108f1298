//! An organization's security log in GraphQL: the `securityEvents` query and subscription,
//! for the organization's owners and admins.
//!
//! The subscription follows the log itself: it replays from the client's cursor, then reads
//! again whenever security events are committed anywhere (a wake-up from this node or, on
//! PostgreSQL, from another) and at least once a second. Few people follow a security log, so
//! each follower reads for itself; no fan-out hub is needed. Its reader's right is checked
//! again before every batch it delivers.

use super::subscription::{fixed_principal, replaced, was_replaced, SharedPrincipal};
use super::{core, gql_error, org_id, principal, Gql};
use crate::bus::{Hubs, CATCH_UP};
use async_graphql::futures_util::stream::{self, Stream};
use async_graphql::{Context, Enum, Json, Object, ID};
use std::collections::VecDeque;
use std::sync::Arc;
use tessera_core::audit::SecurityEvent as Event;
use tessera_core::ids::OrgId;
use tessera_core::service::Core;
use tessera_core::Error;
use tokio::sync::watch;

/// Events read at a time while following.
const PAGE: u32 = 200;

/// What happened (the domain's kinds, as a GraphQL enum).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "SecurityEventKind", remote = "tessera_core::audit::SecurityKind")]
pub enum Kind {
    LoginSucceeded,
    LoginFailed,
    TokenIssued,
    TokenRevoked,
    ConsentGranted,
    ConsentWithdrawn,
    AppCreated,
    AppSecretRegenerated,
    AppChanged,
    AppDeleted,
    BotCreated,
    PasswordResetRequested,
    PasswordReset,
    InvitationSent,
    InvitationAccepted,
    InvitationCancelled,
    EmailVerified,
    TwoFactorEnabled,
    TwoFactorDisabled,
    TwoFactorFailed,
    RecoveryCodeUsed,
    TwoFactorRequirementChanged,
    SsoSignedIn,
    IdentityProviderChanged,
    MemberAdded,
    MemberRoleChanged,
    MemberRemoved,
    PasswordChanged,
    SignedOutEverywhere,
    SignupDomainChanged,
}

/// One entry of an organization's security log. It never holds a secret.
pub struct SecurityEvent(pub Event);

#[Object]
impl SecurityEvent {
    async fn organization_id(&self) -> ID {
        ID(self.0.org_id.0.clone())
    }
    /// Position in the organization's log: pass it as `cursor` (subscription) or `after`
    /// (query) to get only later events.
    async fn cursor(&self) -> ID {
        ID(self.0.cursor.to_string())
    }
    async fn kind(&self) -> Kind {
        self.0.kind.into()
    }
    /// The user or bot the event is about.
    async fn subject_id(&self) -> ID {
        ID(self.0.subject.0.clone())
    }
    /// Who did it; null when the operator did it on the command line.
    async fn actor_id(&self) -> Option<ID> {
        self.0.actor.as_ref().map(|a| ID(a.0.clone()))
    }
    /// The app (OAuth client) involved, if any.
    async fn client_id(&self) -> Option<&str> {
        self.0.client_id.as_deref()
    }
    /// When it happened (RFC 3339, UTC, milliseconds).
    async fn occurred_at(&self) -> String {
        rfc3339(self.0.at)
    }
    /// Facts that depend on the kind: `address` (sign-ins), `grant`, `scope` and `tokenIds`
    /// (tokens issued), `reason` and `count` (tokens revoked), `scope` (consents), `name`.
    async fn detail(&self) -> Json<serde_json::Value> {
        Json(self.0.detail.clone())
    }
}

/// Milliseconds since the epoch as `YYYY-MM-DDThh:mm:ss.sssZ` (the proleptic Gregorian
/// calendar, from days since 1970-01-01 by the civil-from-days method).
pub fn rfc3339(ms: i64) -> String {
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s, milli) = (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60, ms_of_day / 1000 % 60, ms_of_day % 1000);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

/// The query: after `after` in order, or the newest `limit`.
pub async fn list(
    ctx: &Context<'_>,
    organization_id: String,
    after: Option<ID>,
    limit: i32,
) -> async_graphql::Result<Vec<SecurityEvent>> {
    let org = org_id(organization_id)?;
    let after = after.map(|a| parse_cursor(&a)).transpose()?;
    let limit = u32::try_from(limit).unwrap_or(0);
    let events = core(ctx).security_events(principal(ctx)?, &org, after, limit).await.gql()?;
    Ok(events.into_iter().map(SecurityEvent).collect())
}

fn parse_cursor(c: &ID) -> async_graphql::Result<i64> {
    c.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| gql_error(Error::bad_input(format!("cursor {:?} is not a cursor", c.0))))
}

/// The subscription: from `cursor` (or from now), every later event, in order.
pub async fn follow(
    ctx: &Context<'_>,
    organization_id: String,
    cursor: Option<ID>,
) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<SecurityEvent>>> {
    let org = org_id(organization_id)?;
    let core = core(ctx).clone();
    let mut shared = match ctx.data_opt::<SharedPrincipal>() {
        Some(s) => s.clone(),
        None => fixed_principal(principal(ctx)?.clone()),
    };
    let p = shared.borrow_and_update().clone();
    core.authorize_security_log(&p, &org).await.gql()?;
    // Watch for wake-ups before reading, so nothing committed from now on can be missed.
    let wake = ctx.data_unchecked::<Arc<Hubs>>().security();
    let last = core.security_log_head(&org).await.gql()?.unwrap_or(0);
    let start = match cursor {
        None => last,
        Some(c) => {
            let n = parse_cursor(&c)?;
            if n > last {
                return Err(gql_error(Error::bad_input(format!(
                    "cursor {n} is not valid for this organization (0..={last})"
                ))));
            }
            n
        }
    };
    let follower =
        Follower { core, org, principal: shared, wake, cursor: start, pending: VecDeque::new(), done: false };
    Ok(stream::unfold(follower, |mut f| async move { f.next().await.map(|item| (item, f)) }))
}

struct Follower {
    core: Core,
    org: OrgId,
    principal: SharedPrincipal,
    wake: watch::Receiver<u64>,
    cursor: i64,
    pending: VecDeque<Event>,
    done: bool,
}

impl Follower {
    async fn authorize(&self) -> Result<(), Error> {
        let p = self.principal.borrow().clone();
        self.core.authorize_security_log(&p, &self.org).await
    }

    async fn next(&mut self) -> Option<async_graphql::Result<SecurityEvent>> {
        if self.done {
            return None;
        }
        match self.step().await {
            Ok(e) => Some(Ok(SecurityEvent(e))),
            Err(e) => {
                self.done = true;
                Some(Err(gql_error(e)))
            }
        }
    }

    async fn step(&mut self) -> Result<Event, Error> {
        loop {
            if was_replaced(&mut self.principal) {
                self.authorize().await?;
            }
            if let Some(e) = self.pending.pop_front() {
                self.cursor = e.cursor;
                return Ok(e);
            }
            let batch = self.core.security_log_after(&self.org, self.cursor, PAGE).await?;
            if batch.is_empty() {
                tokio::select! {
                    woken = self.wake.changed() => if woken.is_err() {
                        tokio::time::sleep(CATCH_UP).await;
                    },
                    _ = tokio::time::sleep(CATCH_UP) => {}
                    // Another token on the connection: may it still read the log?
                    _ = replaced(&mut self.principal) => self.authorize().await?,
                }
                continue;
            }
            // The reader may have lost the right to see the log (demoted, removed).
            self.authorize().await?;
            self.pending.extend(batch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(1_795_910_400_123), "2026-11-29T00:00:00.123Z");
        assert_eq!(rfc3339(4_107_542_399_999), "2100-02-28T23:59:59.999Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999Z");
    }
}
