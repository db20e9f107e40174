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
use portico_events::extensions_api as xapi;
use portico_events::runtime_api::{self as rapi, Call as Path};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};

use crate::body::ReadError;
use crate::invocation::StreamEvent;
use portico_events::errors::platform;

/// How long to wait after a failed `accept` before the next.
const ACCEPT_BACKOFF: std::time::Duration = std::time::Duration::from_millis(50);

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
    /// Extensions API `POST register`: an extension named `name` wants `events`.
    Register {
        name: String,
        events: xapi::Events,
        reply: oneshot::Sender<Result<Registered, Refusal>>,
    },
    /// Extensions API `GET event/next`: extension `id` is done with its last event and
    /// waits for the next.
    ExtensionNext {
        id: String,
        reply: oneshot::Sender<Result<Bytes, Refusal>>,
    },
    /// Extensions API `POST init/error` (`init`) or `POST exit/error`.
    ExtensionError {
        id: String,
        init: bool,
        error_type: String,
        body: Bytes,
        reply: oneshot::Sender<Result<(), Refusal>>,
    },
}

/// A registered extension's id and the register answer's body.
#[derive(Debug)]
pub(crate) struct Registered {
    pub id: String,
    pub body: Vec<u8>,
}

/// Why an Extensions API call is refused: the status and the error document's type and
/// message.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub status: StatusCode,
    pub error_type: &'static str,
    pub message: String,
}

impl Refusal {
    pub fn forbidden(error_type: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            status: StatusCode::FORBIDDEN,
            error_type,
            message: message.into(),
        }
    }
}

#[derive(Debug)]
pub(crate) enum ResponseBody {
    Buffered {
        body: Bytes,
        content_type: Option<String>,
    },
    /// The result was over the buffered limit.
    TooLarge,
    /// A streamed result: the server pumps the body into the channel `rx` reads, which
    /// goes to the caller.
    Stream {
        content_type: Option<String>,
        rx: mpsc::Receiver<StreamEvent>,
    },
}

/// Why an instance is being stopped (error type and document), for a stream that breaks.
pub(crate) type ExitReason = (String, Bytes);

/// The supervisor's answer to a response or error post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ack {
    Accepted,
    InvalidRequestId,
    /// The call is not allowed now (an init error after init).
    InvalidState,
}

/// An invocation handed to the runtime by `next`.
#[derive(Debug)]
pub(crate) struct Delivery {
    pub headers: Vec<(&'static str, String)>,
    pub payload: Bytes,
    /// The caller streams the answer (for Portico's own runtime of web apps; a runtime
    /// decides for itself).
    pub response_stream: bool,
}

pub(crate) struct Shared {
    calls: mpsc::Sender<Call>,
    limits: Limits,
    /// Set by the supervisor just before it kills the instance.
    exit_reason: watch::Receiver<Option<ExitReason>>,
}

/// Serves the Runtime API on `listener` until the task is aborted.
pub(crate) async fn serve(
    listener: TcpListener,
    calls: mpsc::Sender<Call>,
    limits: Limits,
    exit_reason: watch::Receiver<Option<ExitReason>>,
) {
    let shared = Arc::new(Shared::new(calls, limits, exit_reason));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, say: wait rather than spin.
                tracing::warn!("Runtime API accept failed: {e}");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
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
        Ok(Ack::InvalidState) => error(
            StatusCode::FORBIDDEN,
            "InvalidStateTransition",
            "State transition failed for runtime: init errors are accepted during init only",
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
    if let Some(call) = xapi::Call::parse(req.method(), &path) {
        return extension(shared, call, req).await;
    }
    match Path::parse(req.method(), &path) {
        None => {
            let message = format!(
                "{} {path} is not a Runtime API call Portico serves",
                req.method()
            );
            // Read the body so that the runtime's connection stays usable.
            let _ = crate::body::read(req.into_body(), shared.limits.buffered_response).await;
            error(StatusCode::NOT_FOUND, "InvalidRequest", &message)
        }
        Some(Path::Next) => next(shared).await,
        Some(Path::Response(id)) => response(shared, id.to_string(), req).await,
        Some(Path::Error(id)) => post_error(shared, Some(id.to_string()), req).await,
        Some(Path::InitError) => post_error(shared, None, req).await,
    }
}

/// An Extensions API call: register, next, or an init or exit error.
async fn extension(shared: &Shared, call: xapi::Call, req: Request<Incoming>) -> Reply {
    let name = header(&req, xapi::NAME);
    let id = header(&req, xapi::IDENTIFIER);
    let error_type = header(&req, xapi::ERROR_TYPE);
    // Extensions send small bodies; the buffered limit bounds them all the same.
    let body = match crate::body::read(req.into_body(), shared.limits.buffered_response).await {
        Ok(body) => body,
        Err(why) => return unreadable(&why, shared.limits.buffered_response),
    };
    let refused = |r: Refusal| error(r.status, r.error_type, &r.message);
    match call {
        xapi::Call::Register => {
            let Some(name) = name.filter(|n| !n.is_empty()) else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequest",
                    "Lambda-Extension-Name is missing: give the extension's file name",
                );
            };
            let events = match xapi::registered_events(&body) {
                Ok(events) => events,
                Err(why) => return error(StatusCode::BAD_REQUEST, "InvalidRequest", &why),
            };
            let (reply, verdict) = oneshot::channel();
            if shared
                .calls
                .send(Call::Register {
                    name,
                    events,
                    reply,
                })
                .await
                .is_err()
            {
                return gone();
            }
            match verdict.await {
                Ok(Ok(registered)) => {
                    let mut response = answer(StatusCode::OK, registered.body);
                    if let Ok(id) = http::HeaderValue::from_str(&registered.id) {
                        response.headers_mut().insert(xapi::IDENTIFIER, id);
                    }
                    response
                }
                Ok(Err(refusal)) => refused(refusal),
                Err(_) => gone(),
            }
        }
        xapi::Call::Next => {
            let Some(id) = id else {
                return unknown_extension();
            };
            let (reply, verdict) = oneshot::channel();
            let call = Call::ExtensionNext {
                id: id.clone(),
                reply,
            };
            if shared.calls.send(call).await.is_err() {
                return gone();
            }
            match verdict.await {
                Ok(Ok(event)) => {
                    let mut response = answer(StatusCode::OK, event.to_vec());
                    if let Ok(id) = http::HeaderValue::from_str(&id) {
                        response.headers_mut().insert(xapi::IDENTIFIER, id);
                    }
                    response
                }
                Ok(Err(refusal)) => refused(refusal),
                Err(_) => gone(),
            }
        }
        xapi::Call::InitError | xapi::Call::ExitError => {
            let Some(id) = id else {
                return unknown_extension();
            };
            let (reply, answer) = oneshot::channel();
            let call = Call::ExtensionError {
                id,
                init: call == xapi::Call::InitError,
                error_type: error_type.unwrap_or_else(|| "Extension.Unknown".into()),
                body,
                reply,
            };
            if shared.calls.send(call).await.is_err() {
                return gone();
            }
            match answer.await {
                Ok(Ok(())) => accepted(),
                Ok(Err(refusal)) => refused(refusal),
                Err(_) => gone(),
            }
        }
    }
}

fn unknown_extension() -> Reply {
    error(
        StatusCode::FORBIDDEN,
        "Extension.UnknownExtensionIdentifier",
        "Lambda-Extension-Identifier is missing or names no registered extension",
    )
}

/// Sends `call` to the supervisor and answers the runtime with its verdict.
async fn ask(shared: &Shared, call: impl FnOnce(oneshot::Sender<Ack>) -> Call) -> Reply {
    let (reply, ack) = oneshot::channel();
    if shared.calls.send(call(reply)).await.is_err() {
        return gone();
    }
    acked(ack.await)
}

/// What the runtime is told when its post could not be read whole.
fn unreadable(why: &ReadError, limit: Option<usize>) -> Reply {
    match why {
        ReadError::TooLarge => error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            &format!(
                "Exceeded maximum allowed payload size ({} bytes).",
                limit.unwrap_or_default()
            ),
        ),
        ReadError::Broken => error(
            StatusCode::BAD_REQUEST,
            "TruncatedHTTPRequest",
            "HTTP request detected as truncated",
        ),
    }
}

/// An error post, for invocation `id` or, without one, for init. A body that cannot be read
/// still fails the invocation, with a document made from the error type.
async fn post_error(shared: &Shared, id: Option<String>, req: Request<Incoming>) -> Reply {
    let error_type = header(&req, rapi::ERROR_TYPE).unwrap_or_else(|| "Unhandled".to_string());
    let limit = shared.limits.buffered_response;
    let (body, problem) = match crate::body::read(req.into_body(), limit).await {
        Ok(body) => (body, None),
        Err(why) => (Bytes::new(), Some(why)),
    };
    let reply = ask(shared, |reply| Call::Error {
        id,
        error_type,
        body,
        reply,
    })
    .await;
    match problem {
        Some(why) => unreadable(&why, limit),
        None => reply,
    }
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

async fn response(shared: &Shared, id: String, req: Request<Incoming>) -> Reply {
    let content_type = header(&req, http::header::CONTENT_TYPE.as_str());
    let limit = shared.limits.buffered_response;
    match header(&req, rapi::RESPONSE_MODE).as_deref() {
        Some("streaming") => stream(shared, id, content_type, req.into_body()).await,
        Some(_) => {
            let _ = crate::body::read(req.into_body(), limit).await;
            let body = Bytes::from(platform::invalid_response_mode(&id));
            let _ = ask(shared, |reply| Call::Error {
                id: Some(id),
                error_type: "Runtime.InvalidResponseModeHeader".into(),
                body,
                reply,
            })
            .await;
            error(
                StatusCode::BAD_REQUEST,
                "InvalidFunctionResponseMode",
                "Invalid function response mode",
            )
        }
        None => match crate::body::read(req.into_body(), limit).await {
            Ok(body) => {
                ask(shared, |reply| Call::Response {
                    id,
                    body: ResponseBody::Buffered { body, content_type },
                    reply,
                })
                .await
            }
            Err(ReadError::TooLarge) => {
                let _ = ask(shared, |reply| Call::Response {
                    id,
                    body: ResponseBody::TooLarge,
                    reply,
                })
                .await;
                unreadable(&ReadError::TooLarge, limit)
            }
            Err(ReadError::Broken) => {
                let body = Bytes::from(platform::truncated(&id));
                let _ = ask(shared, |reply| Call::Error {
                    id: Some(id),
                    error_type: "Runtime.TruncatedResponse".into(),
                    body,
                    reply,
                })
                .await;
                unreadable(&ReadError::Broken, limit)
            }
        },
    }
}

/// Pumps a streamed response body into the caller's channel, frame by frame, so that a
/// slow caller slows the function (the channel is small and `send` waits). A client that
/// leaves does not stop the function: the rest of its body is read and dropped, as on AWS.
async fn stream(
    shared: &Shared,
    id: String,
    content_type: Option<String>,
    body: Incoming,
) -> Reply {
    match shared.pump(id, content_type, None, body).await {
        Ok(()) => accepted(),
        Err(Refused::Gone) => gone(),
        Err(Refused::Ack(ack)) => acked(Ok(ack)),
    }
}

/// Why a stream was not taken.
#[derive(Debug)]
pub(crate) enum Refused {
    /// The supervisor is gone.
    Gone,
    /// The supervisor did not accept it (no such invocation).
    Ack(Ack),
}

impl Shared {
    pub(crate) fn new(
        calls: mpsc::Sender<Call>,
        limits: Limits,
        exit_reason: watch::Receiver<Option<ExitReason>>,
    ) -> Shared {
        Shared {
            calls,
            limits,
            exit_reason,
        }
    }

    /// Where the supervisor hears calls.
    pub(crate) fn calls(&self) -> &mpsc::Sender<Call> {
        &self.calls
    }

    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Hands invocation `id` a streamed answer and pumps `first`, then `body`, into it
    /// frame by frame, within the streamed response limit; tells the supervisor when the
    /// stream has ended (and how). A `lambda-runtime-function-error-type` trailer breaks
    /// the stream with that error, as on Lambda.
    pub(crate) async fn pump<B>(
        &self,
        id: String,
        content_type: Option<String>,
        first: Option<Bytes>,
        body: B,
    ) -> Result<(), Refused>
    where
        B: http_body::Body<Data = Bytes>,
    {
        let mut body = std::pin::pin!(body);
        let (tx, rx) = mpsc::channel(16);
        let (reply, ack) = oneshot::channel();
        let call = Call::Response {
            id: id.clone(),
            body: ResponseBody::Stream { content_type, rx },
            reply,
        };
        if self.calls.send(call).await.is_err() {
            return Err(Refused::Gone);
        }
        match ack.await {
            Ok(Ack::Accepted) => {}
            Ok(other) => return Err(Refused::Ack(other)),
            Err(_) => return Err(Refused::Gone),
        }
        let mut sent = 0usize;
        let mut broke: Option<(String, Bytes)> = None;
        // `None` once the caller is gone or the stream has broken: nothing more is forwarded.
        let mut forward = Some(tx);
        let mut pending = first.map(|data| Ok(http_body::Frame::data(data)));
        loop {
            let frame = match pending.take() {
                Some(frame) => frame,
                None => match body.frame().await {
                    Some(frame) => frame.map_err(|_| ()),
                    None => break,
                },
            };
            let frame = match frame {
                Ok(frame) => frame,
                Err(()) => {
                    // The connection broke: the instance was stopped (the supervisor says
                    // why) or the runtime went away mid-stream.
                    let reason = self.exit_reason.borrow().clone();
                    broke = Some(reason.unwrap_or_else(|| {
                        (
                            "Runtime.TruncatedResponse".into(),
                            Bytes::from(platform::truncated(&id)),
                        )
                    }));
                    break;
                }
            };
            match frame.into_data() {
                Ok(data) => {
                    sent += data.len();
                    if portico_config::limits::exceeds(sent, self.limits.streamed_response)
                        && broke.is_none()
                    {
                        let limit = self.limits.streamed_response.unwrap_or_default();
                        let error = (
                            "Function.ResponseSizeTooLarge".to_string(),
                            Bytes::from(platform::response_too_large(limit)),
                        );
                        // Cut the caller's stream now; the function's remaining bytes are dropped.
                        if let Some(tx) = forward.take() {
                            let _ = tx.send(stream_error(&error)).await;
                        }
                        broke = Some(error);
                    }
                    if let Some(tx) = &forward
                        && tx.send(StreamEvent::Data(data)).await.is_err()
                    {
                        forward = None;
                    }
                }
                Err(frame) => {
                    if let Some(trailers) = frame.trailers_ref()
                        && let Some(kind) =
                            trailers.get(rapi::ERROR_TYPE).and_then(|v| v.to_str().ok())
                    {
                        let body = trailers
                            .get(rapi::ERROR_BODY)
                            .and_then(|v| {
                                use base64::Engine;
                                base64::engine::general_purpose::STANDARD
                                    .decode(v.as_bytes())
                                    .ok()
                            })
                            .unwrap_or_else(|| platform::from_type(kind));
                        broke.get_or_insert_with(|| (kind.to_string(), Bytes::from(body)));
                    }
                }
            }
        }
        if let (Some(error), Some(tx)) = (&broke, forward.take()) {
            let _ = tx.send(stream_error(error)).await;
        }
        let _ = self
            .calls
            .send(Call::StreamEnded { id, error: broke })
            .await;
        Ok(())
    }
}

fn stream_error((error_type, body): &(String, Bytes)) -> StreamEvent {
    StreamEvent::Error {
        error_type: error_type.clone(),
        body: body.clone(),
    }
}
