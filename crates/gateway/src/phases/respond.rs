//! Respond: the function's outcome becomes the HTTP response, by the rules of the door's
//! payload format (2.0 for Function URLs and HTTP APIs by default, 1.0, REST's 1.0), buffered
//! or streamed; a function error, a timeout or an answer that is not a response is a refusal,
//! which the door renders.

use bytes::{Bytes, BytesMut};
use http::{HeaderValue, Response, StatusCode};
use portico_config::{InvokeMode, Limits, PayloadFormat};
use portico_events::errors::platform;
use portico_events::response::{self, HTTP_INTEGRATION_RESPONSE, HttpResponse, PRELUDE_SEPARATOR};
use portico_runtime::{Outcome, ResponseStream, StreamEvent};

use crate::body::{Body, collect};
use crate::ctx::{Answer, RequestCtx};
use crate::refusal::{Kind, Refusal};

/// Response headers a function may not set, since they describe the connection.
const HOP_BY_HOP: [http::HeaderName; 3] = [
    http::header::CONTENT_LENGTH,
    http::header::TRANSFER_ENCODING,
    http::header::CONNECTION,
];

/// The header HTTP APIs answer every request with.
pub const APIGW_REQUEST_ID: &str = "apigw-requestid";

/// The most bytes read while looking for the end of a streaming prelude.
const MAX_PRELUDE: usize = 1024 * 1024;

/// Which front door answers, for the shape of its errors and the ids it adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door<'a> {
    FunctionUrl,
    /// An HTTP API, with its `apigw-requestid` and the route's payload format.
    HttpApi {
        request_id: &'a str,
        format: PayloadFormat,
    },
    /// A REST API's Lambda proxy integration (the 1.0 response rules); `decode_base64`:
    /// whether an `isBase64Encoded` body is decoded (the client accepts a binary media type)
    /// or passed on as the base64 text it is.
    RestApi {
        decode_base64: bool,
    },
}

/// A REST API Lambda proxy method's answer: read by the 1.0 rules, or streamed when the
/// integration's `responseTransferMode` is `STREAM`.
pub async fn rest_api(
    ctx: &mut RequestCtx,
    limits: &Limits,
    decode_base64: bool,
    mode: InvokeMode,
) -> Answer {
    respond(ctx, Door::RestApi { decode_base64 }, mode, limits).await
}

/// A Function URL's answer, buffered or streamed as its invoke mode says.
pub async fn function_url(ctx: &mut RequestCtx, mode: InvokeMode, limits: &Limits) -> Answer {
    respond(ctx, Door::FunctionUrl, mode, limits).await
}

/// An HTTP API route's answer: buffered as API Gateway reads Lambda results, or streamed
/// when the route opts in.
pub async fn http_api(
    ctx: &mut RequestCtx,
    request_id: &str,
    format: PayloadFormat,
    mode: InvokeMode,
    limits: &Limits,
) -> Answer {
    respond(ctx, Door::HttpApi { request_id, format }, mode, limits).await
}

async fn respond(
    ctx: &mut RequestCtx,
    door: Door<'_>,
    mode: InvokeMode,
    limits: &Limits,
) -> Answer {
    let Some(invoked) = ctx.invoked.take() else {
        return Err(failed("no outcome".into()));
    };
    match (invoked.outcome, mode) {
        (Outcome::FunctionError { error_type, .. }, _) => {
            Err(function_error("function error", &error_type))
        }
        (Outcome::Response { body, .. }, InvokeMode::Buffered) => buffered(ctx, door, &body),
        (Outcome::Response { body, content_type }, InvokeMode::ResponseStream) => {
            let content_type = content_type.unwrap_or_else(|| "application/json".into());
            raw_stream(ctx, door, content_type, Body::full(body))
        }
        (Outcome::Stream(mut stream), mode) => {
            let content_type = stream.content_type.clone().unwrap_or_default();
            if content_type == HTTP_INTEGRATION_RESPONSE {
                return with_prelude(ctx, door, stream, mode, limits).await;
            }
            match mode {
                InvokeMode::ResponseStream => {
                    let content_type = if content_type.is_empty() {
                        "application/octet-stream".into()
                    } else {
                        content_type
                    };
                    raw_stream(
                        ctx,
                        door,
                        content_type,
                        Body::Stream {
                            first: None,
                            stream,
                        },
                    )
                }
                InvokeMode::Buffered => {
                    match collect(&mut stream, limits.buffered_response).await {
                        Ok(bytes) => buffered(ctx, door, &bytes),
                        Err((error_type, _)) => Err(function_error("stream broke:", &error_type)),
                    }
                }
            }
        }
    }
}

/// A buffered result read by the rules of the door's payload format.
fn buffered(ctx: &mut RequestCtx, door: Door<'_>, payload: &[u8]) -> Answer {
    let read = match door {
        Door::HttpApi {
            format: PayloadFormat::V1,
            ..
        }
        | Door::RestApi {
            decode_base64: true,
        } => portico_events::http_v1::from_payload(payload),
        Door::RestApi {
            decode_base64: false,
        } => portico_events::http_v1::from_payload(&as_text(payload)),
        _ => response::from_payload(payload),
    };
    match read {
        Ok(http) => Ok(build(ctx, door, http, None)),
        Err(e) => Err(failed(e.to_string())),
    }
}

/// A 1.0 result with `isBase64Encoded` turned off, so that its body is taken as the text it
/// is (a REST API passes base64 on unless the client accepts a binary media type).
fn as_text(payload: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    match serde_json::from_slice::<serde_json::Value>(payload) {
        Ok(serde_json::Value::Object(mut fields))
            if fields.get("isBase64Encoded") == Some(&serde_json::Value::Bool(true)) =>
        {
            fields.insert("isBase64Encoded".into(), serde_json::Value::Bool(false));
            std::borrow::Cow::Owned(serde_json::to_vec(&fields).unwrap_or_default())
        }
        _ => std::borrow::Cow::Borrowed(payload),
    }
}

/// A stream without a prelude: status 200, the stream's content type, the bytes as they come.
fn raw_stream(ctx: &mut RequestCtx, door: Door<'_>, content_type: String, body: Body) -> Answer {
    let head = HttpResponse {
        status: StatusCode::OK,
        headers: HeaderValue::from_str(&content_type)
            .map(|v| vec![(http::header::CONTENT_TYPE, v)])
            .unwrap_or_default(),
        cookies: Vec::new(),
        body: Bytes::new(),
    };
    Ok(build(ctx, door, head, Some(body)))
}

/// A stream that starts with the HTTP integration prelude and 8 NUL bytes.
async fn with_prelude(
    ctx: &mut RequestCtx,
    door: Door<'_>,
    mut stream: ResponseStream,
    mode: InvokeMode,
    limits: &Limits,
) -> Answer {
    let mut buf = BytesMut::new();
    // Where to look for the separator next: only new bytes, and the 7 before them.
    let mut from = 0;
    let split = loop {
        if let Some(at) = buf[from..]
            .windows(PRELUDE_SEPARATOR.len())
            .position(|w| w == PRELUDE_SEPARATOR)
        {
            break from + at;
        }
        from = buf.len().saturating_sub(PRELUDE_SEPARATOR.len() - 1);
        if buf.len() > MAX_PRELUDE {
            let why = "no end of the streaming prelude in the first MiB";
            return Err(failed(why.into()));
        }
        match stream.next().await {
            Some(StreamEvent::Data(data)) => buf.extend_from_slice(&data),
            Some(StreamEvent::Error { error_type, .. }) => {
                return Err(function_error("stream broke:", &error_type));
            }
            None => return Err(failed("the stream ended inside its prelude".into())),
        }
    };
    let head = response::from_prelude(&buf[..split]).map_err(|e| failed(e.to_string()))?;
    let rest = buf.split_off(split + PRELUDE_SEPARATOR.len()).freeze();
    let body = match mode {
        InvokeMode::ResponseStream => Body::Stream {
            first: (!rest.is_empty()).then_some(rest),
            stream,
        },
        InvokeMode::Buffered => match collect(&mut stream, limits.buffered_response).await {
            Ok(more) => Body::full([rest, more].concat()),
            Err((error_type, _)) => return Err(function_error("stream broke:", &error_type)),
        },
    };
    Ok(build(ctx, door, head, Some(body)))
}

/// The function gave no usable response.
fn failed(why: String) -> Refusal {
    Refusal::new(Kind::FunctionFailed, why)
}

/// The function failed (`what`: how it showed), or timed out, which API Gateway answers as
/// a timeout.
fn function_error(what: &str, error_type: &str) -> Refusal {
    let kind = if error_type == platform::TIMED_OUT {
        Kind::FunctionTimedOut
    } else {
        Kind::FunctionFailed
    };
    Refusal::new(kind, format!("{what} {error_type}"))
}

fn build(
    ctx: &RequestCtx,
    door: Door<'_>,
    http: HttpResponse,
    body: Option<Body>,
) -> Response<Body> {
    let mut response = Response::new(body.unwrap_or_else(|| Body::full(http.body)));
    *response.status_mut() = http.status;
    let headers = response.headers_mut();
    for (name, value) in http.headers {
        // Framing is the listener's: a function's own length or encoding would contradict it.
        if !HOP_BY_HOP.contains(&name) {
            headers.append(name, value);
        }
    }
    for cookie in http.cookies {
        headers.append(http::header::SET_COOKIE, cookie);
    }
    with_ids(ctx, door, response)
}

fn with_ids(ctx: &RequestCtx, door: Door<'_>, mut response: Response<Body>) -> Response<Body> {
    let headers = response.headers_mut();
    match door {
        Door::FunctionUrl => {
            if let Ok(id) = HeaderValue::from_str(&ctx.request_id) {
                headers.insert(portico_events::invoke_api::REQUEST_ID, id);
            }
        }
        Door::HttpApi { request_id, .. } => {
            if let Ok(id) = HeaderValue::from_str(request_id) {
                headers.insert(APIGW_REQUEST_ID, id);
            }
        }
        // The REST door adds its ids to every answer itself.
        Door::RestApi { .. } => {}
    }
    with_trace_id(ctx, response)
}

/// Every answer of a function's carries its trace id, as Lambda's front doors add it.
pub fn with_trace_id(ctx: &RequestCtx, mut response: Response<Body>) -> Response<Body> {
    if let Ok(trace) = HeaderValue::from_str(&ctx.trace_id) {
        response
            .headers_mut()
            .insert(portico_events::invoke_api::TRACE_ID, trace);
    }
    response
}
