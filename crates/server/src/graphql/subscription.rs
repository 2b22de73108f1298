//! The `commands` subscription: a workspace's event log from a cursor, then live, with no gap
//! and no duplicate, authorized for as long as it runs.
//!
//! Order of work: join the workspace's broadcast first, then read the log from the client's
//! cursor, then serve broadcast events, skipping any cursor already sent and reading the log
//! for any gap (a lagged receiver, or events committed while the replay ran).

use super::commands::{HistoryCommand, RawCommand};
use super::elements::ElementType;
use super::operation::Outlet;
use super::{core, principal, workspace_id, Gql};
use crate::bus::{Hub, Hubs};
use async_graphql::futures_util::stream::{self, Stream, StreamExt};
use async_graphql::{Context, Subscription, ID};
use std::collections::VecDeque;
use std::sync::Arc;
use tessera_core::auth::Principal;
use tessera_core::element::ElementType as DomainType;
use tessera_core::event::{Event, EventPayload};
use tessera_core::ids::{ElementId, WorkspaceId};
use tessera_core::service::Core;
use tessera_core::Error;
use tokio::sync::{broadcast, watch};

/// The principal of a long-lived connection, as each of its operations sees it: replaced when
/// the client re-authenticates, and every running operation then authorizes itself again.
pub type SharedPrincipal = watch::Receiver<Arc<Principal>>;

/// A principal that is never replaced (one request, or a transport without re-authentication).
pub fn fixed_principal(p: Principal) -> SharedPrincipal {
    watch::channel(Arc::new(p)).1
}

/// Resolves when the principal is replaced; never, once nothing can replace it.
pub async fn replaced(p: &mut SharedPrincipal) {
    if p.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Whether the principal was replaced since this operation last looked (marking it seen).
pub fn was_replaced(p: &mut SharedPrincipal) -> bool {
    let changed = p.has_changed().unwrap_or(false);
    if changed {
        p.borrow_and_update();
    }
    changed
}

/// What makes subscribers' results identical (see `ws::commands_shape`): compared whole.
pub type Shape = Arc<str>;

/// Marks a request that renders one already-authorized event (see [`Direct`]).
pub struct OneEvent(pub Arc<Event>);

/// Marks a request that renders the error that ended a captured feed (see [`Capture`]).
pub struct OneError(pub async_graphql::Error);

/// Set by the transport beside a [`Direct`] (see `operation::run`): the `commands` resolver
/// authorizes and opens its feed as usual, then hands it over here and returns an empty
/// stream, so the transport runs the feed itself without keeping async-graphql's
/// per-subscription stream (about 20 KiB and several layers of polling per subscriber).
#[derive(Default)]
pub struct Capture(std::sync::Mutex<Option<(Feed, FeedArgs)>>);

impl Capture {
    /// The feed, and the arguments it was opened with.
    pub fn take(&self) -> Option<(Feed, FeedArgs)> {
        self.0.lock().ok()?.take()
    }
}

/// What a `commands` or `rawHistory` field asked for, as its resolver read it.
#[derive(Clone)]
pub struct FeedArgs {
    pub ws: WorkspaceId,
    pub cursor: Option<String>,
    filter: Filter,
}

impl FeedArgs {
    /// The same subscription from another cursor.
    pub fn from_cursor(&self, cursor: Option<String>) -> FeedArgs {
        FeedArgs { cursor, ..self.clone() }
    }
}

/// What renders a shape's results: the request of its first subscriber (the cursor, the only
/// difference between subscribers of a shape, does not change what is rendered). Shared by
/// every subscriber of the shape on this node.
pub struct Template {
    /// The query shape: the document, operation and variables other than the cursor.
    shape: Shape,
    schema: super::ApiSchema,
    query: String,
    operation_name: Option<String>,
    variables: async_graphql::Variables,
}

impl Template {
    pub fn new(shape: Shape, schema: super::ApiSchema, request: &async_graphql::Request) -> Arc<Self> {
        Arc::new(Template {
            shape,
            schema,
            query: request.query.clone(),
            operation_name: request.operation_name.clone(),
            variables: request.variables.clone(),
        })
    }
}

/// The fan-out path of a subscription: instead of resolving every event's selection for every
/// subscriber, the feed renders each event once per query shape (shared through the workspace
/// hub) and hands the bytes to the transport. Authorization and filtering stay per subscriber.
pub struct Direct {
    template: Arc<Template>,
    metrics: Arc<crate::metrics::Metrics>,
    outlet: Arc<dyn Outlet>,
}

impl Direct {
    pub fn new(template: Arc<Template>, metrics: Arc<crate::metrics::Metrics>, outlet: Arc<dyn Outlet>) -> Self {
        Direct { template, metrics, outlet }
    }

    /// Send one rendered result; false when the client is gone or too slow.
    pub async fn deliver(&self, response: Arc<str>) -> bool {
        self.metrics.deliveries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.outlet.next(response).await
    }

    /// The result for this event, rendered by the real schema as `principal` (a subscriber
    /// allowed to read the workspace: what the event's objects read beyond it, such as an
    /// element's surface, is of the same workspace, so any such subscriber renders the same
    /// bytes).
    async fn render(&self, event: Arc<Event>, principal: Arc<Principal>) -> Arc<str> {
        self.render_with(OneEvent(event), Some((*principal).clone())).await
    }

    /// The result for the error that ended a captured feed.
    pub async fn render_error(&self, e: async_graphql::Error) -> Arc<str> {
        self.render_with(OneError(e), None).await
    }

    async fn render_with(&self, data: impl std::any::Any + Send + Sync, principal: Option<Principal>) -> Arc<str> {
        let t = &self.template;
        let mut request = async_graphql::Request::new(t.query.clone()).variables(t.variables.clone()).data(data);
        if let Some(p) = principal {
            request = request.data(p);
        }
        if let Some(op) = &t.operation_name {
            request = request.operation_name(op.clone());
        }
        let mut stream = t.schema.execute_stream(request);
        let response = stream.next().await.unwrap_or_default();
        self.metrics.renders.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        super::operation::render(response)
    }
}

const PAGE: u32 = 500;

pub struct Subscription;

#[Subscription]
impl Subscription {
    /// Every change to a workspace's elements and comments, in cursor order, typed by
    /// command. With `cursor`, first every later change from the log, then live changes.
    async fn commands(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        #[graphql(desc = "the cursor ID of last known command")] cursor: Option<ID>,
        element_id: Option<String>,
        element_type: Option<Vec<ElementType>>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<HistoryCommand>>> {
        let filter = Filter {
            raw: false,
            element: element_id.map(ElementId),
            types: element_type
                .filter(|asked| !asked.is_empty())
                .map(|asked| asked.into_iter().filter_map(ElementType::stored).collect()),
        };
        let commands = events(ctx, workspace_id, cursor, filter).await?;
        Ok(commands.filter_map(|e| std::future::ready(e.map(HistoryCommand::of).transpose())))
    }

    /// Every event of a workspace as the log stores it (collaborators joining and leaving
    /// included), in cursor order, with the same cursor and guarantees as `commands`.
    async fn raw_history(
        &self,
        ctx: &Context<'_>,
        workspace_id: String,
        #[graphql(desc = "the cursor ID of last known command")] cursor: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<RawCommand>>> {
        let filter = Filter { raw: true, element: None, types: None };
        Ok(events(ctx, workspace_id, cursor, filter).await?.map(|e| e.map(RawCommand)))
    }

    /// An organization's security log (owners and admins, with `org:admin`), in cursor order.
    /// With `cursor`, first every later event, then live ones; without it, from now on.
    async fn security_events(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        cursor: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<super::security::SecurityEvent>>> {
        super::security::follow(ctx, organization_id, cursor).await
    }
}

/// A workspace's events that pass `filter`, from `cursor`: on the fan-out path (see [`Capture`])
/// the feed is handed to the transport, and when rendering (see [`Direct`]) the one given event.
async fn events(
    ctx: &Context<'_>,
    workspace_id: String,
    cursor: Option<ID>,
    filter: Filter,
) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Arc<Event>>>> {
    if let Some(OneEvent(e)) = ctx.data_opt::<OneEvent>() {
        return Ok(stream::iter([Ok(e.clone())]).left_stream());
    }
    if let Some(OneError(e)) = ctx.data_opt::<OneError>() {
        return Ok(stream::iter([Err(e.clone())]).left_stream());
    }
    let args = FeedArgs { ws: self::workspace_id(workspace_id)?, cursor: cursor.map(|c| c.0), filter };
    let principal = match ctx.data_opt::<SharedPrincipal>() {
        Some(s) => s.clone(),
        None => fixed_principal(self::principal(ctx)?.clone()),
    };
    let hubs = ctx.data_unchecked::<Arc<Hubs>>();
    let direct = ctx.data_opt::<Arc<Direct>>().cloned();
    let feed = open(core(ctx), hubs, principal, direct, args.clone()).await.gql()?;
    let feed = match ctx.data_opt::<Arc<Capture>>().and_then(|c| c.0.lock().ok()) {
        Some(mut slot) => {
            *slot = Some((feed, args));
            None
        }
        None => Some(feed),
    };
    let items = stream::unfold(feed, |feed| async move {
        let mut feed = feed?;
        let item = feed.next().await?;
        Some((item, Some(feed)))
    });
    Ok(items.right_stream())
}

/// Authorize, join the workspace's broadcast, and check the cursor.
pub async fn open(
    core: &Core,
    hubs: &Arc<Hubs>,
    mut principal: SharedPrincipal,
    direct: Option<Arc<Direct>>,
    args: FeedArgs,
) -> Result<Feed, Error> {
    let FeedArgs { ws, cursor, filter } = args;
    let snapshot = principal.borrow_and_update().clone();
    core.authorize_elements_read(&snapshot, &ws).await?;
    // Join before reading anything, so nothing committed from now on can be missed.
    let (hub, rx) = hubs.join(&ws).await;
    let last = core.log_head(&ws).await?.unwrap_or(0);
    hub.saw(last);
    let start = match cursor {
        None => last,
        Some(c) => match c.parse::<i64>() {
            Ok(n) if (0..=last).contains(&n) => n,
            _ => return Err(Error::bad_input(format!("cursor {c:?} is not valid for this workspace (0..={last})"))),
        },
    };
    Ok(Feed {
        core: core.clone(),
        ws,
        principal,
        hub,
        rx,
        direct,
        cursor: start,
        pending: VecDeque::new(),
        replaying: true,
        filter,
        done: false,
    })
}

#[derive(Clone)]
struct Filter {
    /// Every event, as `rawHistory` delivers them; otherwise only the element and comment
    /// commands, narrowed by `element` and `types`.
    raw: bool,
    element: Option<ElementId>,
    /// Only these types (all when none are asked for; a type tessera never stores matches
    /// nothing).
    types: Option<Vec<DomainType>>,
}

impl Filter {
    fn matches(&self, p: &EventPayload) -> bool {
        if self.raw {
            return true;
        }
        let (id, ty) = match p {
            EventPayload::ElementCreated { element } => (Some(&element.id), Some(element.element_type())),
            EventPayload::ElementUpdated { element_id, element_type, .. }
            | EventPayload::TraitsUpdated { element_id, element_type, .. }
            | EventPayload::AssetIngested { element_id, element_type, .. }
            | EventPayload::ElementDeleted { element_id, element_type } => (Some(element_id), Some(*element_type)),
            EventPayload::CommentCreated { comment, element_type } => (comment.element_id.as_ref(), *element_type),
            // Settings apply to the whole workspace: no element filter may ask for them.
            EventPayload::WorkspaceUpdated { .. } => return self.element.is_none() && self.types.is_none(),
            EventPayload::CollaboratorAdded { .. }
            | EventPayload::CollaboratorRemoved { .. }
            | EventPayload::WorkspaceDeleted { .. } => return false,
        };
        self.element.as_ref().is_none_or(|want| id == Some(want))
            && self.types.as_ref().is_none_or(|types| ty.is_some_and(|t| types.contains(&t)))
    }
}

/// One subscriber's view of a workspace's log: from its cursor, then live, authorized for as
/// long as it runs. Driven either as a stream of events (async-graphql's way) or, on the
/// fan-out path, by [`Feed::run`], which delivers through its [`Direct`].
pub struct Feed {
    core: Core,
    ws: WorkspaceId,
    principal: SharedPrincipal,
    hub: Arc<Hub>,
    rx: broadcast::Receiver<Arc<Event>>,
    direct: Option<Arc<Direct>>,
    /// The last cursor handled (sent or skipped).
    cursor: i64,
    pending: VecDeque<Arc<Event>>,
    replaying: bool,
    filter: Filter,
    done: bool,
}

impl Feed {
    /// On the fan-out path: deliver until the client goes or the feed ends; the error that
    /// ended it, if one did.
    pub async fn run(&mut self) -> Option<async_graphql::Error> {
        loop {
            match self.step().await {
                Ok(None) => return None,
                // With a `Direct`, commands are delivered inside `step`; nothing else is yielded.
                Ok(Some(_)) => continue,
                Err(e) => return Some(super::gql_error(e)),
            }
        }
    }

    /// Read the log after `cursor` (up to `limit` events) into `pending`; false if nothing.
    async fn read_log(&mut self, limit: u32) -> Result<bool, Error> {
        let batch = self.core.log_after(&self.ws, self.cursor, limit).await?;
        let any = !batch.is_empty();
        self.pending.extend(batch.into_iter().map(Arc::new));
        Ok(any)
    }

    /// Whether the principal may still read the workspace (checked again when membership
    /// changes, and when the client re-authenticates with another token).
    async fn still_allowed(&self) -> Result<bool, Error> {
        let p = self.principal.borrow().clone();
        match self.core.authorize_elements_read(&p, &self.ws).await {
            Ok(_) => Ok(true),
            Err(Error::NotFound(_) | Error::Forbidden(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn next(&mut self) -> Option<async_graphql::Result<Arc<Event>>> {
        match self.step().await {
            Ok(Some(cmd)) => Some(Ok(cmd)),
            Ok(None) => None,
            Err(e) => {
                self.done = true;
                Some(Err(e).gql())
            }
        }
    }

    /// The next command to yield. On the fan-out path commands are delivered here, rendered
    /// once per query shape, and only errors (or the end) are yielded.
    async fn step(&mut self) -> Result<Option<Arc<Event>>, Error> {
        loop {
            if self.done {
                return Ok(None);
            }
            if was_replaced(&mut self.principal) && !Box::pin(self.still_allowed()).await? {
                self.done = true;
                return Err(Error::Forbidden("read this workspace with the new token"));
            }
            if let Some(e) = self.pending.pop_front() {
                if e.cursor <= self.cursor {
                    continue;
                }
                if e.cursor > self.cursor + 1 {
                    // A gap: fill it from the log first, then come back to this event.
                    self.pending.push_front(e.clone());
                    let gap = (e.cursor - self.cursor - 1).min(i64::from(PAGE)) as u32;
                    let mut filled = std::mem::take(&mut self.pending);
                    Box::pin(self.read_log(gap)).await?;
                    self.pending.append(&mut filled);
                    if self.pending.front().is_some_and(|f| f.cursor > self.cursor + 1) {
                        return Err(Error::internal(format!("event log gap after cursor {}", self.cursor)));
                    }
                    continue;
                }
                self.cursor = e.cursor;
                // Who may read the workspace changes with its membership, its visibility and its
                // deletion: ask again.
                let membership_changed = match &e.payload {
                    EventPayload::CollaboratorAdded { user_id, .. } | EventPayload::CollaboratorRemoved { user_id } => {
                        self.principal.borrow().user.id == *user_id
                    }
                    EventPayload::WorkspaceUpdated { .. } | EventPayload::WorkspaceDeleted { .. } => true,
                    _ => false,
                };
                if membership_changed && !Box::pin(self.still_allowed()).await? {
                    self.done = true;
                    return Err(Error::Forbidden("read this workspace any longer"));
                }
                if !self.filter.matches(&e.payload) {
                    continue;
                }
                let Some(direct) = &self.direct else { return Ok(Some(e)) };
                let as_who = self.principal.borrow().clone();
                let render = Box::pin(direct.render(e.clone(), as_who));
                let payload = Box::pin(self.hub.rendered(&direct.template.shape, e.cursor, render)).await;
                if !direct.deliver(payload).await {
                    self.done = true;
                }
                continue;
            }
            if self.replaying {
                if Box::pin(self.read_log(PAGE)).await? {
                    continue;
                }
                self.replaying = false;
            }
            let reauthenticated = tokio::select! {
                received = self.rx.recv() => match received {
                    Ok(e) => {
                        self.pending.push_back(e);
                        false
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        self.replaying = true;
                        false
                    }
                    Err(broadcast::error::RecvError::Closed) => return Ok(None),
                },
                _ = replaced(&mut self.principal) => true,
            };
            if reauthenticated && !Box::pin(self.still_allowed()).await? {
                self.done = true;
                return Err(Error::Forbidden("read this workspace with the new token"));
            }
        }
    }
}
