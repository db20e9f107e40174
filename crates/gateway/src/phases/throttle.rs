//! Throttle: a route's token bucket (its own, or its stage's default).

use portico_config::Throttle;
use portico_events::ApiError;

use crate::ctx::{Flow, RequestCtx};
use crate::limiter::Limiter;

/// Takes a token for `key` under `limit`; without one, API Gateway's 429.
pub fn http_api(
    limiter: &dyn Limiter,
    ctx: &mut RequestCtx,
    key: &str,
    limit: Option<Throttle>,
) -> Flow {
    match limit {
        Some(limit) if !limiter.try_acquire(key, limit) => {
            ctx.error = Some("throttled".into());
            Flow::Respond(crate::error::render(
                &ApiError::TooManyRequests.response(),
                &ctx.request_id,
            ))
        }
        _ => Flow::Continue,
    }
}
