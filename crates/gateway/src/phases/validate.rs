//! Validate: the request body, read whole within the payload limit.

use portico_events::ErrorResponse;
use portico_runtime::body::{ReadError, read};

use crate::ctx::{Flow, RequestCtx};

/// Reads the body into the context; over the limit answers with `too_large` (each door's
/// own 413).
pub async fn body<B>(
    ctx: &mut RequestCtx,
    body: B,
    limit: Option<usize>,
    too_large: ErrorResponse,
) -> Flow
where
    B: http_body::Body<Data = bytes::Bytes>,
{
    match read(body, limit).await {
        Ok(bytes) => {
            ctx.body = bytes;
            Flow::Continue
        }
        Err(ReadError::TooLarge) => {
            ctx.error = Some("request body too large".into());
            Flow::Respond(crate::error::render(&too_large, &ctx.request_id))
        }
        Err(ReadError::Broken) => {
            ctx.error = Some("the client broke off the request body".into());
            let mut response = http::Response::new(crate::body::Body::empty());
            *response.status_mut() = http::StatusCode::BAD_REQUEST;
            Flow::Respond(response)
        }
    }
}
