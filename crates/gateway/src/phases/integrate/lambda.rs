//! A Lambda integration: the mapped event (`ctx.event`) handed to the function's pool, the
//! outcome kept in `ctx.invoked` for respond.

use std::sync::Arc;

use portico_config::InvokeMode;
use portico_runtime::{InvokeRequest, Pool};

use crate::ctx::RequestCtx;
use crate::refusal::Refusal;

/// Notes which function the request invokes, and its memory, for the record phase.
pub fn note_function(ctx: &mut RequestCtx, pool: &Pool) {
    let f = pool.function();
    ctx.function = Some(portico_observe::FunctionUse {
        name: f.name.clone(),
        memory_mb: f.memory_mb,
    });
}

/// The invocation of `ctx.event` as the function `invoked_arn` names.
fn request(ctx: &RequestCtx, invoked_arn: String, mode: InvokeMode) -> InvokeRequest {
    InvokeRequest {
        request_id: ctx.request_id.clone(),
        payload: ctx.event.clone(),
        invoked_arn,
        trace_id: ctx.trace_id.clone(),
        client_context: None,
        want_log_tail: false,
        response_stream: mode == InvokeMode::ResponseStream,
    }
}

/// Invokes `pool`'s function with the mapped event and waits for its outcome, stored in
/// `ctx.invoked`; `mode` says whether the door streams the answer. Refused when the runtime
/// does not take the invocation (no instance free within its wait, shutting down).
pub async fn invoke(
    ctx: &mut RequestCtx,
    pool: &Arc<Pool>,
    invoked_arn: String,
    mode: InvokeMode,
) -> Result<(), Refusal> {
    let request = request(ctx, invoked_arn, mode);
    note_function(ctx, pool);
    let started = std::time::Instant::now();
    let invoked = pool.invoke(request).await;
    ctx.timeline.mark(crate::ctx::INTEGRATE, started);
    let invoked = invoked?;
    ctx.cold_start = invoked.init_duration;
    ctx.invoked = Some(invoked);
    Ok(())
}

/// Queues an asynchronous invocation of the mapped event (`X-Amz-Invocation-Type: Event`):
/// accepted at once, run when an instance is free.
pub fn invoke_async(
    ctx: &mut RequestCtx,
    pool: &Arc<Pool>,
    invoked_arn: String,
) -> Result<(), Refusal> {
    let request = request(ctx, invoked_arn, InvokeMode::Buffered);
    note_function(ctx, pool);
    Ok(pool.invoke_async(request)?)
}
