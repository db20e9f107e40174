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

/// A function as a request invokes it: its instances, its ARN as named (with the alias or
/// version, if one was) and the version that runs.
pub struct Callee {
    pub pool: Arc<Pool>,
    pub arn: String,
    pub version: String,
}

impl Callee {
    /// `function` on `runtime`, if it is there and has the version or alias named.
    pub fn find(
        runtime: &portico_runtime::Runtime,
        function: &portico_config::FunctionRef,
        (region, account): (&str, &str),
    ) -> Option<Callee> {
        let pool = runtime.pool(&function.name)?;
        let version = pool.function().version_of(function.qualifier.as_deref())?;
        let arn = portico_events::invoke_api::function_arn(
            region,
            account,
            &function.name,
            function.qualifier.as_deref(),
        );
        Some(Callee {
            pool: pool.clone(),
            arn,
            version,
        })
    }
}

/// The invocation of `ctx.event` of `callee`.
fn request(ctx: &RequestCtx, callee: &Callee, mode: InvokeMode) -> InvokeRequest {
    InvokeRequest {
        request_id: ctx.request_id.clone(),
        payload: ctx.event.clone(),
        invoked_arn: callee.arn.clone(),
        version: callee.version.clone(),
        trace_id: ctx.trace_id.clone(),
        client_context: None,
        want_log_tail: false,
        response_stream: mode == InvokeMode::ResponseStream,
    }
}

/// Invokes `callee` with the mapped event and waits for its outcome, stored in
/// `ctx.invoked`; `mode` says whether the door streams the answer. Refused when the runtime
/// does not take the invocation (no instance free within its wait, shutting down).
pub async fn invoke(
    ctx: &mut RequestCtx,
    callee: &Callee,
    mode: InvokeMode,
) -> Result<(), Refusal> {
    let request = request(ctx, callee, mode);
    note_function(ctx, &callee.pool);
    let started = std::time::Instant::now();
    let invoked = callee.pool.invoke(request).await;
    ctx.timeline.mark(crate::ctx::INTEGRATE, started);
    let invoked = invoked?;
    ctx.cold_start = invoked.init_duration;
    ctx.invoked = Some(invoked);
    Ok(())
}

/// Queues an asynchronous invocation of the mapped event (`X-Amz-Invocation-Type: Event`):
/// accepted at once, run when an instance is free.
pub fn invoke_async(ctx: &mut RequestCtx, callee: &Callee) -> Result<(), Refusal> {
    let request = request(ctx, callee, InvokeMode::Buffered);
    note_function(ctx, &callee.pool);
    Ok(callee.pool.invoke_async(request)?)
}
