//! The phases a request goes through, in order:
//!
//! ```text
//! resolve → authorize → throttle → validate → (cache) → map → integrate → respond → record
//! ```
//!
//! Each phase is one module whose entry functions work on the per-request
//! [`RequestCtx`](crate::ctx::RequestCtx). Most return [`Flow`](crate::ctx::Flow): go on,
//! answer now, or refuse (a [`Refusal`](crate::refusal::Refusal), which the door renders in
//! its own shape). `resolve` hands what it found (the function's pool, the route) to the
//! phases after it. `cache` is REST's stage cache, which answers a cached method before it
//! is mapped. `record` always runs. Function URLs take the short road: their throttle is the
//! function's reserved concurrency, enforced when integrate hands the invocation to the
//! runtime.

pub mod authorize;
pub mod cache;
pub mod integrate;
pub mod map;
pub mod record;
pub mod resolve;
pub mod respond;
pub mod throttle;
pub mod validate;
