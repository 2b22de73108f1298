//! tessera's domain: identities, organizations, workspaces and their roles, canvas elements,
//! the per-workspace event log, and the ports (traits) that storage implements.
//!
//! Nothing here knows about HTTP, GraphQL or SQL. Every permission decision is made by
//! [`permission::decide`], and every use case is one method of [`service::Core`].

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod comment;
pub mod element;
pub mod error;
pub mod event;
pub mod icons;
pub mod ids;
pub mod members;
pub mod mfa;
pub mod model;
pub mod oauth;
pub mod org_admin;
pub mod passwords;
pub mod permission;
pub mod ports;
pub mod service;
pub mod signup;
pub mod sso;
pub mod validate;

pub use error::{Error, Result};
