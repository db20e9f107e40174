//! Record: one access-log line per request, always, with the error if there was one.

use crate::ctx::RequestCtx;

/// Writes the line; a REST stage cache's hit or miss is noted at its end.
pub fn access_log(ctx: &RequestCtx, status: http::StatusCode) {
    let ms = ctx.started.elapsed().as_secs_f64() * 1000.0;
    let cache = match ctx.cache_hit {
        Some(true) => " (stage cache hit)",
        Some(false) => " (stage cache miss)",
        None => "",
    };
    match &ctx.error {
        None => tracing::info!(
            target: "access",
            request_id = %ctx.request_id,
            "{} {} {} {} {ms:.2} ms{cache}",
            ctx.target, ctx.method, ctx.path, status.as_u16()
        ),
        Some(error) => tracing::warn!(
            target: "access",
            request_id = %ctx.request_id,
            "{} {} {} {} {ms:.2} ms{cache}: {error}",
            ctx.target, ctx.method, ctx.path, status.as_u16()
        ),
    }
}
