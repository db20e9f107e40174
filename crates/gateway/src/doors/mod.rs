//! The front doors. Each door is a folder whose `mod.rs` reads as its phase sequence and
//! holds the one function that renders its refusals; what only that door needs sits beside it.
//!
//! - `function_url`: a function's own URL (2.0 event, `auth: none | aws_iam`, CORS, streaming).
//! - `http_api`: API Gateway v2 (stages, routes, authorizers, throttles, parameter mapping,
//!   Lambda proxy 2.0/1.0 and HTTP proxy).
//! - `rest`: API Gateway v1 (stages, resources and methods, authorizers, API keys and usage
//!   plans, validators, the stage cache, proxy and non-proxy integrations, gateway responses).
//! - `invoke`: the Lambda service's `Invoke` and `InvokeWithResponseStream`.
//! - `websocket`: API Gateway's WebSocket APIs (`$connect`, routed messages, `$disconnect`)
//!   and their `@connections` management API.

mod function_url;
pub mod http_api;
mod invoke;
pub mod rest;
pub mod websocket;
