//! The phases a request goes through, in order:
//!
//! ```text
//! resolve → authorize → throttle → validate → map → integrate → respond → record
//! ```
//!
//! Each phase is one module whose entry functions work on the per-request
//! [`RequestCtx`](crate::ctx::RequestCtx). Most return [`Flow`](crate::ctx::Flow): go on,
//! or answer now. `resolve` hands what it found (the function's pool) to the phases after
//! it; `integrate` reports why the runtime refused an invocation, which each front door
//! answers in its own shape. `record` always runs. Function URLs take the short road: their
//! throttle is the function's reserved concurrency, enforced when integrate hands the
//! invocation to the runtime.

pub mod authorize;
pub mod integrate;
pub mod map;
pub mod record;
pub mod resolve;
pub mod respond;
pub mod throttle;
pub mod validate;
