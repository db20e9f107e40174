//! Throttle: a route's token bucket (its own, or its stage's default).

use portico_config::Throttle;
use portico_events::ApiError;

use crate::ctx::{Flow, RequestCtx};
use crate::limiter::Limiter;

/// Takes a token for `key` under `limit`; without one, API Gateway's 429.
pub fn http_api(limiter: &dyn Limiter, ctx: &mut RequestCtx, key: &str, limit: Throttle) -> Flow {
    if limiter.try_acquire(key, limit) {
        Flow::Continue
    } else {
        Flow::Respond(crate::error::api(
            ctx,
            ApiError::TooManyRequests,
            "throttled",
        ))
    }
}
