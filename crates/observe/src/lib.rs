//! What Portico saw, kept for people rather than for Prometheus: every route's traffic over
//! the last minutes (rates, errors, latency percentiles), the live tail of requests, and the
//! usage the cost lens prices; each request's spans, exported over OTLP ([`otlp`]); and the
//! writer of log lines ([`batched`]).
//!
//! The request path only hands a [`Record`] to a bounded channel ([`Observatory::record`],
//! never blocking, never locking); whoever reads (the dashboard's endpoints) folds the
//! waiting records into the state first, so an answer includes every request answered
//! before it was asked.

pub mod batched;
pub mod otlp;
mod traffic;

pub use traffic::{
    Declared, FunctionUse, Observatory, Record, RouteId, TAIL_KEPT, Tail, TailEntry, Target,
    Traffic, WINDOW_SECONDS,
};
