//! The phases a request goes through, in order:
//!
//! ```text
//! resolve → authorize → throttle → validate → map → integrate → respond → record
//! ```
//!
//! Each phase is one module with entry functions over `&mut RequestCtx` that return
//! [`Flow::Continue`](crate::ctx::Flow) or a response. `record` always runs. Function URLs
//! take the short road: their throttle is the function's reserved concurrency, enforced when
//! integrate hands the invocation to the runtime.

pub mod authorize;
pub mod integrate;
pub mod map;
pub mod record;
pub mod resolve;
pub mod respond;
pub mod validate;
