//! The tessera server: configuration, the command line, and the HTTP application
//! (web endpoints and the GraphQL API) on top of `tessera-core` and `tessera-store`.

pub mod app;
pub mod assets;
pub mod bus;
pub mod cli;
pub mod config;
pub mod demo;
pub mod graphql;
pub mod login;
pub mod mail;
pub mod metrics;
pub mod rest;
pub mod sso;
pub mod telemetry;
pub mod web;
