//! One GraphQL operation on a long-lived transport, run the same way whichever transport
//! carries it: a WebSocket connection (either protocol) or a Server-Sent Events response. The
//! transport is an [`Outlet`]; this decides how the operation runs.
//!
//! - A `commands` or `rawHistory` subscription runs on the fan-out path: async-graphql
//!   validates the request and the resolver authorizes and opens the feed, which is then
//!   captured (see [`Capture`]) and run here, each event rendered once per query shape. A
//!   shape already validated on this node (the same document, operation and variables but the
//!   cursor) skips async-graphql: its feed is opened at once with the arguments the resolver
//!   read the first time. Many subscribers of one screen share a shape, and a burst of them
//!   reconnecting then costs an authorization and a cursor check each, not a whole execution.
//! - Any other subscription runs as async-graphql's stream, each result passed on.
//! - A query or mutation gives its one result.

use super::http::{finish, is_request_error};
use super::plan::{plan, FanOut};
use super::subscription::{self, Capture, Direct, Feed, FeedArgs, Shape, SharedPrincipal, Template};
use super::ApiSchema;
use crate::app::AppState;
use async_graphql::futures_util::future::BoxFuture;
use async_graphql::futures_util::StreamExt;
use async_graphql::{Request, Response, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Where one operation's results go.
pub trait Outlet: Send + Sync + 'static {
    /// One result: the JSON of a GraphQL response. False when the client is gone or too slow,
    /// which ends the operation.
    fn next(&self, response: Arc<str>) -> BoxFuture<'static, bool>;

    /// The request was refused before anything ran (it does not validate, may not run, has a
    /// bad cursor); `subscription` says whether it asked for one.
    fn refuse(&self, response: Response, subscription: bool) -> BoxFuture<'static, bool>;
}

/// The JSON of a result as the client receives it.
pub fn render(response: Response) -> Arc<str> {
    serde_json::to_string(&finish(response)).unwrap_or_else(|_| "{}".into()).into()
}

/// Run an operation to its end as `principal`; true if it completed (rather than being
/// refused, or its client going away). Each way is boxed: a future is as large as its largest
/// state, and this one lives as long as the subscription, so it holds only the way taken (an
/// idle subscription on the fan-out path keeps its feed's small waiting state, not the
/// kilobytes of a query's execution).
pub async fn run(state: &AppState, request: Box<Request>, principal: SharedPrincipal, outlet: Arc<dyn Outlet>) -> bool {
    let (is_subscription, fan_out) = plan(&request);
    if let Some(f) = fan_out {
        return Box::pin(self::fan_out(state, request, f, principal, outlet)).await;
    }
    let snapshot = (**principal.borrow()).clone();
    let request = request.data(snapshot).data(principal);
    match is_subscription {
        true => Box::pin(stream(state.schema.clone(), request, outlet)).await,
        false => Box::pin(once(state.schema.clone(), request, outlet)).await,
    }
}

/// The arguments of the subscription shapes validated on this node (at most [`MAX_SHAPES`];
/// when full it starts again, so a client inventing shapes only costs their validations),
/// with the cursor variable's value as it was then (absent: `None`) and what renders it.
#[derive(Default)]
pub struct Shapes(Mutex<HashMap<Shape, Known>>);

struct Known {
    args: FeedArgs,
    cursor: Option<Value>,
    template: Arc<Template>,
}

const MAX_SHAPES: usize = 4096;

impl Shapes {
    /// The arguments for a request of a known shape, if it can do without validation: only its
    /// cursor differs, and a string or a number is always a valid `ID`; an absent or null
    /// cursor only if it was so when the shape was validated (the variable may be required, or
    /// have a default).
    fn args(&self, shape: &Shape, cursor: Option<&Value>) -> Option<(FeedArgs, Arc<Template>)> {
        let all = self.0.lock().ok()?;
        let known = all.get(shape)?;
        let args = match cursor {
            Some(Value::String(c)) => known.args.from_cursor(Some(c.clone())),
            Some(Value::Number(n)) => known.args.from_cursor(Some(n.to_string())),
            same if same == known.cursor.as_ref() => known.args.clone(),
            _ => return None,
        };
        Some((args, known.template.clone()))
    }

    fn learn(&self, shape: Shape, known: Known) {
        if let Ok(mut all) = self.0.lock() {
            if all.len() >= MAX_SHAPES {
                all.clear();
            }
            all.insert(shape, known);
        }
    }
}

/// A `commands` or `rawHistory` subscription on the fan-out path. Opening it is boxed apart:
/// while the feed runs, which is most of a subscription's life, this holds only the feed.
async fn fan_out(
    state: &AppState,
    request: Box<Request>,
    f: FanOut,
    principal: SharedPrincipal,
    outlet: Arc<dyn Outlet>,
) -> bool {
    let (mut feed, direct) = match Box::pin(open(state, request, f, principal, outlet)).await {
        Opened::Feed(feed, direct) => (feed, direct),
        Opened::Ended(completed) => return completed,
    };
    match feed.run().await {
        None => true,
        // Rendered by the schema, exactly as an error item of the stream would be.
        Some(e) => direct.deliver(Box::pin(direct.render_error(e)).await).await,
    }
}

// A value only in passing, returned once from the boxed opening: boxing the feed would cost
// every subscriber an allocation.
#[allow(clippy::large_enum_variant)]
enum Opened {
    Feed(Feed, Arc<Direct>),
    /// Nothing to run: refused (false), or completed at once (true).
    Ended(bool),
}

/// Authorize and open a fan-out subscription's feed.
async fn open(
    state: &AppState,
    request: Box<Request>,
    f: FanOut,
    principal: SharedPrincipal,
    outlet: Arc<dyn Outlet>,
) -> Opened {
    let FanOut { shape, cursor_variable } = f;
    // The cursor's variable (a literal cursor is part of the shape).
    let cursor = cursor_variable.and_then(|name| request.variables.get(&name).cloned());
    if let Some((args, template)) = state.shapes.args(&shape, cursor.as_ref()) {
        let direct = Arc::new(Direct::new(template, state.metrics.clone(), outlet.clone()));
        let open = subscription::open(&state.core, &state.hubs, principal.clone(), Some(direct.clone()), args);
        if let Ok(feed) = Box::pin(open).await {
            state.metrics.shape_hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Opened::Feed(feed, direct);
        }
    }
    // Validated and opened by async-graphql, which also reports any error exactly as the
    // schema words it (a refusal on the known-shape path is run again this way).
    let template = Template::new(shape.clone(), state.schema.clone(), &request);
    let direct = Arc::new(Direct::new(template.clone(), state.metrics.clone(), outlet.clone()));
    let snapshot = (**principal.borrow()).clone();
    let capture = Arc::new(Capture::default());
    let request = (*request).data(snapshot).data(principal).data(direct.clone()).data(capture.clone());
    if !Box::pin(pass_on(&state.schema, request, &*outlet)).await {
        return Opened::Ended(false);
    }
    let Some((feed, args)) = capture.take() else { return Opened::Ended(true) };
    state.shapes.learn(shape, Known { args, cursor, template });
    Opened::Feed(feed, direct)
}

/// A subscription off the fan-out path: each result as async-graphql's stream yields it.
async fn stream(schema: ApiSchema, request: Request, outlet: Arc<dyn Outlet>) -> bool {
    pass_on(&schema, request, &*outlet).await
}

/// Pass on what the request's stream yields; false if it was refused or the client went away.
/// Anything yielded first that is an error of the whole request was refused before running.
async fn pass_on(schema: &ApiSchema, request: Request, outlet: &dyn Outlet) -> bool {
    let mut stream = schema.execute_stream(request);
    let mut first = true;
    while let Some(res) = stream.next().await {
        if first && is_request_error(&res) {
            outlet.refuse(res, true).await;
            return false;
        }
        first = false;
        if !outlet.next(render(res)).await {
            return false;
        }
    }
    true
}

/// A query or mutation: its one result.
async fn once(schema: ApiSchema, request: Request, outlet: Arc<dyn Outlet>) -> bool {
    let res = schema.execute(request).await;
    if is_request_error(&res) {
        outlet.refuse(res, false).await
    } else {
        outlet.next(render(res)).await
    }
}
