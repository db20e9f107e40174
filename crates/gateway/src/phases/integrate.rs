//! Integrate: hand the event to the function and wait for its outcome.

use std::sync::Arc;

use portico_config::InvokeMode;
use portico_runtime::{InvokeError, InvokeRequest, Pool};

use crate::ctx::RequestCtx;

/// Runs `work` within `limit`, if there is one; `None` when the limit passed first (the
/// work is dropped; a function it invoked runs on, as behind API Gateway).
pub async fn within<F: std::future::Future>(
    limit: Option<std::time::Duration>,
    work: F,
) -> Option<F::Output> {
    match limit {
        Some(limit) => tokio::time::timeout(limit, work).await.ok(),
        None => Some(work.await),
    }
}

/// Notes which function the request invokes, and its memory, for the record phase.
pub fn note_function(ctx: &mut RequestCtx, pool: &Pool) {
    let f = pool.function();
    ctx.function = Some(portico_observe::FunctionUse {
        name: f.name.clone(),
        memory_mb: f.memory_mb,
    });
}

/// Invokes `pool`'s function with the mapped event, storing the outcome in `ctx`; `mode`
/// says whether the door streams the answer.
pub async fn invoke_function(
    ctx: &mut RequestCtx,
    pool: &Arc<Pool>,
    invoked_arn: String,
    mode: InvokeMode,
) -> Result<(), InvokeError> {
    let request = InvokeRequest {
        request_id: ctx.request_id.clone(),
        payload: ctx.event.clone(),
        invoked_arn,
        trace_id: ctx.trace_id.clone(),
        client_context: None,
        want_log_tail: false,
        response_stream: mode == InvokeMode::ResponseStream,
    };
    note_function(ctx, pool);
    let started = std::time::Instant::now();
    let invoked = pool.invoke(request).await;
    ctx.timeline.mark(crate::ctx::INTEGRATE, started);
    match invoked {
        Ok(invoked) => {
            ctx.cold_start = invoked.init_duration;
            ctx.invoked = Some(invoked);
            Ok(())
        }
        Err(e) => {
            ctx.error = Some(e.to_string());
            Err(e)
        }
    }
}
