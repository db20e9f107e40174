//! The response body a front door returns: whole, or a function's stream as it arrives.

pub use portico_runtime::body::{ReadError, read};

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use portico_runtime::{ResponseStream, StreamEvent};

/// A streamed body that broke off; ends the client's response abruptly.
#[derive(Debug)]
pub struct StreamBroke(pub String);

impl std::fmt::Display for StreamBroke {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the function's response stream broke: {}", self.0)
    }
}

impl std::error::Error for StreamBroke {}

/// A front door's response body.
pub enum Body {
    Full(Option<Bytes>),
    /// Bytes already read from the stream, then the rest of the stream.
    Stream {
        first: Option<Bytes>,
        stream: ResponseStream,
    },
    /// A function's result as AWS event-stream messages: `ready` first, then the stream's
    /// pieces as `PayloadChunk`s and a closing `InvokeComplete`.
    EventStream(Box<EventStream>),
    /// An upstream's body, passed through as it arrives (HTTP proxy integrations).
    Upstream(crate::phases::integrate::proxy::AnyBody),
    /// The stream broke; the error is returned on the next poll, after the listener has
    /// flushed what came before it, so the client receives every byte the function wrote.
    Broken(Option<StreamBroke>),
}

/// The state of an event-stream body.
pub struct EventStream {
    ready: std::collections::VecDeque<Bytes>,
    stream: Option<ResponseStream>,
    /// Set when the stream has ended (with its error, if it broke): `InvokeComplete`
    /// follows once the log tail has come.
    ended: Option<Option<(String, String)>>,
}

impl Body {
    pub fn empty() -> Body {
        Body::Full(None)
    }

    /// An event-stream body: the `ready` messages, then `stream` encoded as it arrives.
    pub fn event_stream(stream: Option<ResponseStream>, ready: Vec<Bytes>) -> Body {
        Body::EventStream(Box::new(EventStream {
            ready: ready.into(),
            stream,
            ended: None,
        }))
    }

    /// The whole body, when it is one piece already read (not a stream).
    pub fn whole(&self) -> Option<Bytes> {
        match self {
            Body::Full(bytes) => Some(bytes.clone().unwrap_or_default()),
            _ => None,
        }
    }

    pub fn full(bytes: impl Into<Bytes>) -> Body {
        let bytes = bytes.into();
        Body::Full((!bytes.is_empty()).then_some(bytes))
    }
}

impl HttpBody for Body {
    type Data = Bytes;
    type Error = StreamBroke;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, StreamBroke>>> {
        let this = self.get_mut();
        match this {
            Body::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Body::Broken(error) => Poll::Ready(error.take().map(Err)),
            Body::Upstream(body) => Pin::new(body)
                .poll_frame(cx)
                .map_err(|e| StreamBroke(format!("upstream: {e}"))),
            Body::EventStream(state) => {
                let EventStream {
                    ready,
                    stream,
                    ended,
                } = state.as_mut();
                use base64::Engine;
                use portico_events::event_stream::{invoke_complete, payload_chunk};
                if let Some(message) = ready.pop_front() {
                    return Poll::Ready(Some(Ok(Frame::data(message))));
                }
                let Some(source) = stream else {
                    return Poll::Ready(None);
                };
                if ended.is_none() {
                    match source.poll_next(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Some(StreamEvent::Data(data))) => {
                            return Poll::Ready(Some(Ok(Frame::data(payload_chunk(&data)))));
                        }
                        Poll::Ready(Some(StreamEvent::Error { error_type, body })) => {
                            *ended = Some(Some((
                                error_type,
                                String::from_utf8_lossy(&body).into_owned(),
                            )));
                        }
                        Poll::Ready(None) => *ended = Some(None),
                    }
                }
                let Poll::Ready(tail) = source.poll_log_tail(cx) else {
                    return Poll::Pending;
                };
                let log = tail.map(|t| base64::engine::general_purpose::STANDARD.encode(t));
                let error = ended.take().flatten();
                *stream = None;
                let error = error.as_ref().map(|(t, d)| (t.as_str(), d.as_str()));
                Poll::Ready(Some(Ok(Frame::data(invoke_complete(
                    error,
                    log.as_deref(),
                )))))
            }
            Body::Stream { first, stream } => {
                if let Some(first) = first.take() {
                    return Poll::Ready(Some(Ok(Frame::data(first))));
                }
                match stream.poll_next(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(None) => Poll::Ready(None),
                    Poll::Ready(Some(StreamEvent::Data(data))) => {
                        Poll::Ready(Some(Ok(Frame::data(data))))
                    }
                    Poll::Ready(Some(StreamEvent::Error { error_type, .. })) => {
                        *this = Body::Broken(Some(StreamBroke(error_type)));
                        cx.waker().wake_by_ref();
                        Poll::Pending
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Body::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Body::Full(None) => SizeHint::with_exact(0),
            Body::Upstream(body) => body.size_hint(),
            Body::Stream { .. } | Body::Broken(_) | Body::EventStream(_) => SizeHint::default(),
        }
    }
}

/// Reads a whole stream, within `limit`. `Err` carries the error type when it broke.
pub async fn collect(
    stream: &mut ResponseStream,
    limit: Option<usize>,
) -> Result<Bytes, (String, Bytes)> {
    let mut out = Vec::new();
    while let Some(event) = stream.next().await {
        match event {
            StreamEvent::Data(data) => {
                out.extend_from_slice(&data);
                if portico_config::limits::exceeds(out.len(), limit) {
                    let limit = limit.unwrap_or_default();
                    return Err((
                        "Function.ResponseSizeTooLarge".into(),
                        Bytes::from(portico_events::errors::platform::response_too_large(limit)),
                    ));
                }
            }
            StreamEvent::Error { error_type, body } => return Err((error_type, body)),
        }
    }
    Ok(Bytes::from(out))
}
