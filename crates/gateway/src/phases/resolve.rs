//! Resolve: which function this request is for.

use std::sync::Arc;

use http::Response;
use portico_events::UrlError;
use portico_runtime::{Pool, Runtime};

use crate::body::Body;
use crate::ctx::RequestCtx;

/// A Function URL: the function must exist and have `url:` configured; `None` is answered
/// with [`no_such_url`].
pub fn function_url(runtime: &Runtime, name: &str) -> Option<Arc<Pool>> {
    runtime
        .pool(name)
        .filter(|pool| pool.function().url.is_some())
        .cloned()
}

/// The answer for a host or path that names no function with a URL.
pub fn no_such_url(ctx: &RequestCtx, name: &str) -> Response<Body> {
    let error = UrlError::NoSuchUrl {
        function: name.to_string(),
    };
    crate::error::render(&error.response(), &ctx.request_id)
}
