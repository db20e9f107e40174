//! The wire shapes of Lambda and API Gateway: events, responses, Runtime API and Invoke API
//! paths and headers, and AWS's error bodies.
//!
//! Pure functions and types: nothing here does IO. The front doors (`portico-gateway`) and
//! the runtime (`portico-runtime`) call into this crate so that every shape lives once.
//!
//! The 2.0 event is serialized from our own borrowed structs rather than from
//! `aws_lambda_events`' owned types: those omit `routeKey` and `stage` from the Function URL
//! context and write `null` where AWS omits a key. The tests deserialize our events with
//! `aws_lambda_events` to prove that clients built on it read them.

pub mod emf;
pub mod errors;
pub mod event_stream;
pub mod extensions_api;
pub mod http_v1;
pub mod http_v2;
pub mod invoke_api;
pub mod response;
pub mod runtime_api;
pub mod time;
pub mod web;
pub mod websocket;

pub use errors::{ApiError, ErrorResponse, GatewayResponse, ServiceError, UrlError};
