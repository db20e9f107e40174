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

#[cfg(test)]
mod tests {
    use portico_runtime::Invoked;

    use super::*;
    use crate::ctx::testing;

    /// A request whose function's outcome was `outcome`.
    fn invoked(outcome: Outcome) -> RequestCtx {
        let request = http::Request::get("/").body(()).unwrap();
        let mut ctx = testing::request(request, portico_observe::Target::function_url("f"));
        ctx.invoked = Some(Invoked {
            request_id: ctx.request_id.clone(),
            outcome,
            init_duration: None,
            log_tail: None,
        });
        ctx
    }

    /// A buffered result.
    fn result(payload: &str) -> RequestCtx {
        invoked(Outcome::Response {
            body: Bytes::from(payload.to_string()),
            content_type: Some("application/json".into()),
        })
    }

    fn failed_with(error_type: &str) -> RequestCtx {
        invoked(Outcome::FunctionError {
            error_type: error_type.into(),
            body: Bytes::from_static(br#"{"errorMessage":"boom"}"#),
        })
    }

    const HTTP_API_ID: &str = "apigw-1";

    /// Each door's buffered answer to `ctx`'s outcome.
    async fn answer(ctx: &mut RequestCtx, door: Door<'_>) -> Answer {
        let limits = Limits::AWS;
        let mode = InvokeMode::Buffered;
        match door {
            Door::FunctionUrl => function_url(ctx, mode, &limits).await,
            Door::HttpApi { request_id, format } => {
                http_api(ctx, request_id, format, mode, &limits).await
            }
            Door::RestApi { decode_base64 } => rest_api(ctx, &limits, decode_base64, mode).await,
        }
    }

    /// What `door` refused `ctx`'s outcome as (panics if it answered).
    async fn refused(ctx: &mut RequestCtx, door: Door<'_>) -> Kind {
        match answer(ctx, door).await {
            Err(refusal) => refusal.kind,
            Ok(response) => panic!("{door:?} answered {}", response.status()),
        }
    }

    const DOORS: [Door<'static>; 4] = [
        Door::FunctionUrl,
        Door::HttpApi {
            request_id: HTTP_API_ID,
            format: PayloadFormat::V2,
        },
        Door::HttpApi {
            request_id: HTTP_API_ID,
            format: PayloadFormat::V1,
        },
        Door::RestApi {
            decode_base64: true,
        },
    ];

    fn body(response: &Response<Body>) -> Bytes {
        response.body().whole().expect("a whole body")
    }

    /// The values of header `name`, in order.
    fn values(response: &Response<Body>, name: &str) -> Vec<String> {
        let values = response.headers().get_all(name).iter();
        values.map(|v| v.to_str().unwrap().to_string()).collect()
    }

    #[tokio::test]
    async fn a_2_0_result_gives_its_status_headers_cookies_and_decoded_body() {
        let payload = r#"{"statusCode": 201, "headers": {"x-a": "1", "content-type": "text/plain"},
            "cookies": ["a=1; Path=/", "b=2"], "body": "aGk=", "isBase64Encoded": true}"#;
        for door in [DOORS[0], DOORS[1]] {
            let response = answer(&mut result(payload), door).await.unwrap();
            assert_eq!(response.status(), 201, "{door:?}");
            assert_eq!(values(&response, "x-a"), ["1"], "{door:?}");
            assert_eq!(
                values(&response, "content-type"),
                ["text/plain"],
                "{door:?}"
            );
            assert_eq!(values(&response, "set-cookie"), ["a=1; Path=/", "b=2"]);
            assert_eq!(body(&response), "hi", "{door:?}");
        }
    }

    #[tokio::test]
    async fn a_bare_value_is_a_200_json_answer() {
        // result, body
        let rows = [
            (r#"{"ok": true}"#, r#"{"ok":true}"#),
            (r#""hello""#, "hello"),
        ];
        for door in [DOORS[0], DOORS[1]] {
            for (payload, expected) in rows {
                let response = answer(&mut result(payload), door).await.unwrap();
                assert_eq!(response.status(), 200, "{payload}");
                assert_eq!(values(&response, "content-type"), ["application/json"]);
                assert_eq!(body(&response), expected, "{door:?}");
            }
        }
    }

    #[tokio::test]
    async fn a_1_0_result_merges_multi_value_headers_and_has_no_cookies() {
        let payload = r#"{"statusCode": 202, "headers": {"x-one": "1"},
            "multiValueHeaders": {"set-cookie": ["a=1", "b=2"]}, "cookies": ["c=3"], "body": "x"}"#;
        for door in [DOORS[2], DOORS[3]] {
            let response = answer(&mut result(payload), door).await.unwrap();
            assert_eq!(response.status(), 202, "{door:?}");
            assert_eq!(values(&response, "x-one"), ["1"], "{door:?}");
            assert_eq!(values(&response, "set-cookie"), ["a=1", "b=2"], "{door:?}");
            assert_eq!(values(&response, "content-type"), ["application/json"]);
            assert_eq!(body(&response), "x", "{door:?}");
        }
    }

    #[tokio::test]
    async fn a_1_0_result_needs_a_status_code() {
        for door in [DOORS[2], DOORS[3]] {
            let kind = refused(&mut result(r#"{"body": "x"}"#), door).await;
            assert!(matches!(kind, Kind::FunctionFailed), "{door:?} {kind:?}");
        }
    }

    #[tokio::test]
    async fn a_rest_api_passes_base64_on_as_text_unless_the_client_accepts_binary() {
        let payload = r#"{"statusCode": 200, "body": "aGk=", "isBase64Encoded": true}"#;
        for (decode_base64, expected) in [(true, "hi"), (false, "aGk=")] {
            let door = Door::RestApi { decode_base64 };
            let response = answer(&mut result(payload), door).await.unwrap();
            assert_eq!(body(&response), expected, "{door:?}");
        }
    }

    #[tokio::test]
    async fn a_function_error_is_refused_as_a_failure() {
        for door in DOORS {
            let kind = refused(&mut failed_with("ValueError"), door).await;
            assert!(matches!(kind, Kind::FunctionFailed), "{door:?} {kind:?}");
        }
    }

    #[tokio::test]
    async fn a_function_that_timed_out_is_refused_as_a_timeout() {
        for door in DOORS {
            let kind = refused(&mut failed_with("Sandbox.Timedout"), door).await;
            assert!(matches!(kind, Kind::FunctionTimedOut), "{door:?} {kind:?}");
        }
    }

    #[tokio::test]
    async fn a_result_that_is_not_a_response_is_refused_as_a_failure() {
        let payloads = [
            "not json",
            r#"{"statusCode": 1000}"#,
            r#"{"statusCode": 200, "headers": {"bad name": "x"}}"#,
            r#"{"statusCode": 200, "body": "%%%", "isBase64Encoded": true}"#,
        ];
        for door in DOORS {
            for payload in payloads {
                let kind = refused(&mut result(payload), door).await;
                assert!(matches!(kind, Kind::FunctionFailed), "{door:?} {payload}");
            }
        }
    }

    #[tokio::test]
    async fn hop_by_hop_headers_a_function_sets_are_dropped() {
        let payload = r#"{"statusCode": 200, "body": "ok", "headers": {"content-length": "99",
            "transfer-encoding": "chunked", "connection": "close", "x-kept": "yes"}}"#;
        for door in DOORS {
            let response = answer(&mut result(payload), door).await.unwrap();
            let headers = response.headers();
            for dropped in ["content-length", "transfer-encoding", "connection"] {
                assert!(!headers.contains_key(dropped), "{door:?} {dropped}");
            }
            assert_eq!(headers["x-kept"], "yes", "{door:?}");
        }
    }

    #[tokio::test]
    async fn each_door_adds_its_own_request_id_and_the_trace_id() {
        for door in [DOORS[0], DOORS[1]] {
            let mut ctx = result(r#"{"statusCode": 200}"#);
            let response = answer(&mut ctx, door).await.unwrap();
            let (lambda, apigw): (&[&str], &[&str]) = match door {
                Door::FunctionUrl => (&[&ctx.request_id], &[]),
                _ => (&[], &[HTTP_API_ID]),
            };
            assert_eq!(values(&response, "x-amzn-requestid"), lambda, "{door:?}");
            assert_eq!(values(&response, APIGW_REQUEST_ID), apigw, "{door:?}");
            assert_eq!(
                values(&response, "x-amzn-trace-id"),
                [ctx.trace_id.as_str()]
            );
        }
    }

    #[tokio::test]
    async fn a_rest_answer_carries_the_trace_id_and_leaves_the_request_id_to_its_door() {
        let mut ctx = result(r#"{"statusCode": 200}"#);
        let response = answer(&mut ctx, DOORS[3]).await.unwrap();
        assert_eq!(
            values(&response, "x-amzn-trace-id"),
            [ctx.trace_id.as_str()]
        );
        assert!(!response.headers().contains_key("x-amzn-requestid"));
        assert!(!response.headers().contains_key(APIGW_REQUEST_ID));
    }

    #[tokio::test]
    async fn a_buffered_result_to_a_streaming_url_is_passed_on_as_it_is() {
        let payload = r#"{"statusCode": 201, "body": "x"}"#;
        let mut ctx = invoked(Outcome::Response {
            body: Bytes::from_static(payload.as_bytes()),
            content_type: None,
        });
        let mode = InvokeMode::ResponseStream;
        let response = function_url(&mut ctx, mode, &Limits::AWS).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(values(&response, "content-type"), ["application/json"]);
        assert_eq!(body(&response), payload);
        assert_eq!(
            values(&response, "x-amzn-requestid"),
            [ctx.request_id.as_str()]
        );
    }
}
