//! The Runtime API server an instance talks to: HTTP in, [`Call`] messages out to the
//! instance's supervisor, which owns all state. One listener per instance, so the listener
//! identifies the instance.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use portico_config::Limits;
use portico_events::runtime_api::{self as rapi, Call as Path};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use crate::invocation::StreamEvent;

/// What the runtime said, for the supervisor.
#[derive(Debug)]
pub(crate) enum Call {
    /// `GET next`: answer with the next invocation, whenever there is one.
    Next { reply: oneshot::Sender<Delivery> },
    /// `POST {id}/response`.
    Response {
        id: String,
        body: ResponseBody,
        reply: oneshot::Sender<Ack>,
    },
    /// `POST {id}/error`, or `POST init/error` when `id` is `None`.
    Error {
        id: Option<String>,
        error_type: String,
        body: Bytes,
        reply: oneshot::Sender<Ack>,
    },
    /// A streamed response has been read to its end (`error` when it broke).
    StreamEnded {
        id: String,
        error: Option<(String, Bytes)>,
    },
}

#[derive(Debug)]
pub(crate) enum ResponseBody {
    Buffered {
        body: Bytes,
        content_type: Option<String>,
    },
    /// The result was over the buffered limit.
    TooLarge,
    /// A streamed result: the server pumps the body into `tx`'s channel, `rx` goes to the
    /// caller, and the supervisor keeps `tx` to report a timeout into the stream.
    Stream {
        content_type: Option<String>,
        rx: mpsc::Receiver<StreamEvent>,
        tx: mpsc::Sender<StreamEvent>,
    },
}

/// The supervisor's answer to a response or error post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ack {
    Accepted,
    InvalidRequestId,
}

/// An invocation handed to the runtime by `next`.
#[derive(Debug)]
pub(crate) struct Delivery {
    pub headers: Vec<(&'static str, String)>,
    pub payload: Bytes,
}

struct Shared {
    calls: mpsc::Sender<Call>,
    limits: Limits,
}

/// Serves the Runtime API on `listener` until the task is aborted.
pub(crate) async fn serve(listener: TcpListener, calls: mpsc::Sender<Call>, limits: Limits) {
    let shared = Arc::new(Shared { calls, limits });
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(handle(&shared, req).await) }
            });
            // A runtime that drops its connection is the supervisor's business, not ours.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

type Reply = Response<Full<Bytes>>;

fn answer(status: StatusCode, body: Vec<u8>) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

fn accepted() -> Reply {
    answer(StatusCode::ACCEPTED, br#"{"status":"OK"}"#.to_vec())
}

fn error(status: StatusCode, error_type: &str, message: &str) -> Reply {
    answer(status, rapi::error_body(error_type, message))
}

fn gone() -> Reply {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalServerError",
        "Internal Server Error",
    )
}

fn acked(ack: Result<Ack, oneshot::error::RecvError>) -> Reply {
    match ack {
        Ok(Ack::Accepted) => accepted(),
        Ok(Ack::InvalidRequestId) => error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestID",
            "Invalid request ID",
        ),
        Err(_) => gone(),
    }
}

fn header(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn handle(shared: &Shared, req: Request<Incoming>) -> Reply {
    let path = req.uri().path().to_string();
    match Path::parse(req.method(), &path) {
        None => {
            let message = format!(
                "{} {path} is not a Runtime API call Portico serves",
                req.method()
            );
            // Read the body so that the runtime's connection stays usable.
            let _ = read_limited(req.into_body(), shared.limits.buffered_response).await;
            error(StatusCode::NOT_FOUND, "InvalidRequest", &message)
        }
        Some(Path::Next) => next(shared).await,
        Some(Path::Response(id)) => response(shared, id.to_string(), req).await,
        Some(Path::Error(id)) => post_error(shared, Some(id.to_string()), req).await,
        Some(Path::InitError) => post_error(shared, None, req).await,
    }
}

/// An error post, for invocation `id` or, without one, for init.
async fn post_error(shared: &Shared, id: Option<String>, req: Request<Incoming>) -> Reply {
    let error_type = header(&req, rapi::ERROR_TYPE).unwrap_or_else(|| "Unhandled".to_string());
    let Some(body) = read_limited(req.into_body(), shared.limits.buffered_response).await else {
        return too_large();
    };
    let (reply, ack) = oneshot::channel();
    let call = Call::Error {
        id,
        error_type,
        body,
        reply,
    };
    if shared.calls.send(call).await.is_err() {
        return gone();
    }
    acked(ack.await)
}

async fn next(shared: &Shared) -> Reply {
    let (reply, delivery) = oneshot::channel();
    if shared.calls.send(Call::Next { reply }).await.is_err() {
        return gone();
    }
    let Ok(delivery) = delivery.await else {
        return gone();
    };
    let mut response = Response::new(Full::new(delivery.payload));
    for (name, value) in delivery.headers {
        if let Ok(value) = http::HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

fn too_large() -> Reply {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestEntityTooLarge",
        "Exceeded maximum allowed payload size.",
    )
}

async fn read_limited(body: Incoming, limit: Option<usize>) -> Option<Bytes> {
    crate::body::read(body, limit).await.ok()
}

async fn response(shared: &Shared, id: String, req: Request<Incoming>) -> Reply {
    let content_type = header(&req, http::header::CONTENT_TYPE.as_str());
    let body = match header(&req, rapi::RESPONSE_MODE).as_deref() {
        Some("streaming") => return stream(shared, id, content_type, req.into_body()).await,
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidFunctionResponseMode",
                "Invalid function response mode",
            );
        }
        None => match read_limited(req.into_body(), shared.limits.buffered_response).await {
            Some(body) => ResponseBody::Buffered { body, content_type },
            None => ResponseBody::TooLarge,
        },
    };
    let too_large = matches!(body, ResponseBody::TooLarge);
    let (reply, ack) = oneshot::channel();
    if shared
        .calls
        .send(Call::Response { id, body, reply })
        .await
        .is_err()
    {
        return gone();
    }
    match ack.await {
        Ok(Ack::Accepted) if too_large => error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            &format!(
                "Exceeded maximum allowed payload size ({} bytes).",
                shared.limits.buffered_response.unwrap_or_default()
            ),
        ),
        other => acked(other),
    }
}

/// Pumps a streamed response body into the caller's channel, frame by frame, so that a
/// slow caller slows the function (the channel is small and `send` waits).
async fn stream(
    shared: &Shared,
    id: String,
    content_type: Option<String>,
    mut body: Incoming,
) -> Reply {
    let (tx, rx) = mpsc::channel(16);
    let (reply, ack) = oneshot::channel();
    let call = Call::Response {
        id: id.clone(),
        body: ResponseBody::Stream {
            content_type,
            rx,
            tx: tx.clone(),
        },
        reply,
    };
    if shared.calls.send(call).await.is_err() {
        return gone();
    }
    match ack.await {
        Ok(Ack::Accepted) => {}
        other => return acked(other),
    }
    let mut sent = 0usize;
    let mut broke: Option<(String, Bytes)> = None;
    let mut caller_gone = false;
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(frame) => frame,
            Err(_) => {
                broke.get_or_insert_with(|| {
                    (
                        "Runtime.TruncatedResponse".to_string(),
                        Bytes::from(portico_events::errors::platform::truncated(&id)),
                    )
                });
                break;
            }
        };
        match frame.into_data() {
            Ok(data) => {
                sent += data.len();
                if portico_config::limits::exceeds(sent, shared.limits.streamed_response) {
                    let limit = shared.limits.streamed_response.unwrap_or_default();
                    broke.get_or_insert_with(|| {
                        (
                            "Function.ResponseSizeTooLarge".to_string(),
                            Bytes::from(portico_events::errors::platform::response_too_large(
                                limit,
                            )),
                        )
                    });
                }
                if broke.is_none()
                    && !caller_gone
                    && tx.send(StreamEvent::Data(data)).await.is_err()
                {
                    // The client went away; the function still runs to its end, as on AWS.
                    caller_gone = true;
                }
            }
            Err(frame) => {
                if let Some(trailers) = frame.trailers_ref()
                    && let Some(kind) = trailers.get(rapi::ERROR_TYPE).and_then(|v| v.to_str().ok())
                {
                    let body = trailers
                        .get(rapi::ERROR_BODY)
                        .and_then(|v| {
                            use base64::Engine;
                            base64::engine::general_purpose::STANDARD
                                .decode(v.as_bytes())
                                .ok()
                        })
                        .unwrap_or_else(|| portico_events::errors::platform::from_type(kind));
                    broke.get_or_insert_with(|| (kind.to_string(), Bytes::from(body)));
                }
            }
        }
    }
    if let Some((error_type, body)) = &broke
        && !caller_gone
    {
        let _ = tx
            .send(StreamEvent::Error {
                error_type: error_type.clone(),
                body: body.clone(),
            })
            .await;
    }
    drop(tx);
    let _ = shared
        .calls
        .send(Call::StreamEnded { id, error: broke })
        .await;
    accepted()
}
