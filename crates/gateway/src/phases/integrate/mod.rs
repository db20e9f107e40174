//! Integrate: hand the request to what serves it, and wait for its answer: a function
//! (`lambda`), an HTTP upstream (`proxy`), an AWS service (`aws`), or a REST mock (`mock`). Past the integration's
//! timeout the door answers; a function invoked runs on, as behind API Gateway.

pub mod aws;
pub mod lambda;
pub mod mock;
pub mod proxy;

use crate::ctx::Timeline;
use crate::refusal::{Kind, Refusal};

/// Runs `work` within `limit`, if there is one; refused as timed out when the limit passed
/// first (the work is dropped; a function it invoked runs on, as behind API Gateway).
pub async fn within<F: std::future::Future>(
    limit: Option<std::time::Duration>,
    work: F,
) -> Result<F::Output, Refusal> {
    let done = match limit {
        Some(limit) => tokio::time::timeout(limit, work).await.ok(),
        None => Some(work.await),
    };
    done.ok_or_else(|| Refusal::new(Kind::IntegrationTimeout, "integration timed out"))
}

/// Runs the integration `work` within `limit`, marking its time on the request's timeline
/// (the integration latency); past the limit, the request is refused as timed out.
pub async fn timed<F: std::future::Future>(
    timeline: &mut Timeline,
    limit: Option<std::time::Duration>,
    work: F,
) -> Result<F::Output, Refusal> {
    let started = std::time::Instant::now();
    let done = within(limit, work).await;
    timeline.mark(crate::ctx::INTEGRATE, started);
    done
}
