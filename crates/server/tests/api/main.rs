//! The one integration-test binary: every test starts the real server (in-process on port 0,
//! or the real binary) on a fresh SQLite file. One binary, because linking many costs minutes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod accounts;
mod assets;
mod bad_input;
mod browser;
mod cli_flow;
mod cluster;
mod compat_attachments;
mod compat_commands;
mod compat_elements;
mod compat_identity;
mod compat_queries;
mod compat_types;
mod compat_workspaces;
mod compatibility;
mod consent;
mod crash;
mod device;
mod helpers;
mod members;
mod migrate;
mod oauth_flow;
mod oauth_security;
mod oauth_tokens;
mod openid;
mod ops;
mod org_admin;
mod portal;
mod rest;
mod revocation;
mod roles;
mod security_log;
mod signup;
mod sse;
mod sso;
mod subscriptions;
mod token_exchange;
mod two_factor;
mod wsclient;
