//! The GraphQL API (async-graphql): the schema, its types, and the HTTP transport.
//! Resolvers are thin: each calls one method of [`tessera_core::service::Core`].

pub mod asset_inputs;
pub mod commands;
pub mod comments;
pub mod element_inputs;
pub mod element_parts;
pub mod element_queries;
pub mod elements;
pub mod filters;
pub mod http;
pub mod icons;
pub mod limits;
pub mod mutation;
pub mod operation;
pub mod org_admin;
pub mod organizations;
mod outbox;
pub mod paging;
pub mod plan;
pub mod query;
pub mod security;
pub mod sse;
pub mod subscription;
pub mod traits;
pub mod types;
pub mod unstored_elements;
pub mod updates;
pub mod workspaces;
pub mod ws;
pub mod ws_message;

use async_graphql::{Context, ErrorExtensions, Schema, SchemaBuilder};
use tessera_core::auth::Principal;
use tessera_core::ids::{self, ElementId, OrgId, UserId, WorkspaceId};
use tessera_core::service::Core;

pub type ApiSchema = Schema<Queries, Mutations, subscription::Subscription>;

/// Every query: the workspace and identity queries ([`query`]), the element queries
/// ([`element_queries`]) and the icon library ([`icons`]).
#[derive(async_graphql::MergedObject, Default)]
#[graphql(name = "Query")]
pub struct Queries(query::Query, element_queries::ElementQuery, icons::IconQuery);

/// Every mutation: elements, comments and collaborators ([`mutation`]), workspaces' own
/// settings ([`workspaces`]), traits ([`traits`]).
#[derive(async_graphql::MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct Mutations(
    mutation::Mutation,
    workspaces::WorkspaceMutation,
    traits::TraitsMutation,
    organizations::OrganizationMutation,
    org_admin::OrgAdminMutation,
);

/// Limits on what one document may ask for.
pub const MAX_DEPTH: usize = 16;
pub const MAX_COMPLEXITY: usize = 5_000;
pub const MAX_BATCH: usize = 10;
/// Directives on one field (two are ever useful: `@include` and `@skip`).
pub const MAX_DIRECTIVES: usize = 8;
/// Nesting of selection sets and fragment spreads, as async-graphql's recursion limit counts it.
pub const MAX_RECURSION: usize = 64;

pub fn schema(
    core: Core,
    hubs: std::sync::Arc<crate::bus::Hubs>,
    assets: std::sync::Arc<crate::assets::Assets>,
    limits: std::sync::Arc<crate::web::limits::Limits>,
    introspection: bool,
) -> ApiSchema {
    schema_builder(introspection).data(core).data(hubs).data(assets).data(limits).finish()
}

/// The schema with its limits, before the data its resolvers need is added: [`schema`] adds
/// the core and the hubs; the fuzz target of GraphQL validation adds neither and runs nothing.
pub fn schema_builder(introspection: bool) -> SchemaBuilder<Queries, Mutations, subscription::Subscription> {
    let builder = Schema::build(Queries::default(), Mutations::default(), subscription::Subscription)
        .register_output_type::<elements::BlockTextContent>()
        .register_output_type::<commands::Command>()
        .register_output_type::<updates::UpdateAttachable>()
        .register_output_type::<updates::UpdateAssetElement>()
        .register_output_type::<elements::Selectable>()
        .register_output_type::<elements::AssetBacked>()
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(MAX_RECURSION)
        .limit_directives(MAX_DIRECTIVES)
        .extension(limits::Limits);
    if introspection {
        builder
    } else {
        builder.disable_introspection().disable_suggestions()
    }
}

/// A domain error as a GraphQL error: the public message and `extensions.code`.
/// Internal detail is logged (inside the request's span, so with its id), never returned.
pub fn gql_error(e: tessera_core::Error) -> async_graphql::Error {
    e.log("GraphQL request failed");
    async_graphql::Error::new(e.public_message()).extend_with(|_, ext| ext.set("code", e.code()))
}

/// `?`-friendly conversion of domain results in resolvers.
pub trait Gql<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> Gql<T> for tessera_core::Result<T> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(gql_error)
    }
}

pub fn core<'a>(ctx: &Context<'a>) -> &'a Core {
    ctx.data_unchecked::<Core>()
}

pub fn principal<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    ctx.data_opt::<Principal>().ok_or_else(|| gql_error(tessera_core::Error::Unauthenticated))
}

fn parse_id<T: From<String>>(field: &str, s: String) -> async_graphql::Result<T> {
    if ids::looks_like_id(&s) {
        Ok(T::from(s))
    } else {
        Err(gql_error(tessera_core::Error::bad_input(format!("{field} is not a valid id"))))
    }
}

pub fn workspace_id(s: String) -> async_graphql::Result<WorkspaceId> {
    parse_id("workspaceId", s)
}
pub fn element_id(field: &str, s: String) -> async_graphql::Result<ElementId> {
    parse_id(field, s)
}
pub fn comment_id(field: &str, s: String) -> async_graphql::Result<tessera_core::ids::CommentId> {
    parse_id(field, s)
}
pub fn user_id(field: &str, s: String) -> async_graphql::Result<UserId> {
    parse_id(field, s)
}
pub fn org_id(s: String) -> async_graphql::Result<OrgId> {
    parse_id("organizationId", s)
}
