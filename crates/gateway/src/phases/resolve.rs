//! Resolve: which function this request is for.

use portico_events::UrlError;
use portico_runtime::Runtime;

use crate::ctx::{Flow, RequestCtx};

/// A Function URL: the function must exist and have `url:` configured.
pub fn function_url(runtime: &Runtime, ctx: &mut RequestCtx, name: &str) -> Flow {
    match runtime.pool(name) {
        Some(pool) if pool.function().url.is_some() => {
            ctx.function = Some(pool.clone());
            Flow::Continue
        }
        _ => Flow::Respond(crate::error::render(
            &UrlError::NoSuchUrl {
                function: name.to_string(),
            }
            .response(),
            &ctx.request_id,
        )),
    }
}
