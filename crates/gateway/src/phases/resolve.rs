//! Resolve: which function this request is for.

use std::sync::Arc;

use http::Response;
use portico_events::UrlError;
use portico_runtime::{Pool, Runtime};

use crate::body::Body;
use crate::ctx::RequestCtx;

/// A Function URL: the function must exist and have `url:` configured.
pub fn function_url(
    runtime: &Runtime,
    ctx: &RequestCtx,
    name: &str,
) -> Result<Arc<Pool>, Response<Body>> {
    match runtime.pool(name) {
        Some(pool) if pool.function().url.is_some() => Ok(pool.clone()),
        _ => Err(no_such_url(ctx, name)),
    }
}

/// The answer for a host or path that names no function with a URL.
pub fn no_such_url(ctx: &RequestCtx, name: &str) -> Response<Body> {
    let error = UrlError::NoSuchUrl {
        function: name.to_string(),
    };
    crate::error::render(&error.response(), &ctx.request_id)
}
