//! An invocation as callers see it: what goes in, what comes out.
//!
//! An invocation is Queued (in its function's queue) → Delivered (an instance took it via
//! `/next`) → Responded | Errored | TimedOut | Crashed. The instance that delivered it owns
//! it and resolves it exactly once through the `reply` channel; a dropped channel reads as a
//! crash.

use bytes::Bytes;
use std::future::Future;

use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};

/// What a caller asks of a function.
#[derive(Debug, Clone)]
pub struct InvokeRequest {
    pub request_id: String,
    pub payload: Bytes,
    /// The ARN as the caller named the function (qualified or not).
    pub invoked_arn: String,
    /// The version that runs (`$LATEST`, or the number an alias or qualifier names), as the
    /// START line says.
    pub version: String,
    pub trace_id: String,
    /// The caller's client context, already base64-decoded.
    pub client_context: Option<String>,
    /// Return the tail of the invocation's log.
    pub want_log_tail: bool,
    /// The caller passes a streamed answer on as it comes (a streaming Function URL or
    /// route, `InvokeWithResponseStream`); a `runtime: web` function then streams its app's
    /// answer rather than buffering it.
    pub response_stream: bool,
}

/// How a delivered invocation ended.
#[derive(Debug)]
pub enum Outcome {
    /// A buffered result.
    Response {
        body: Bytes,
        content_type: Option<String>,
    },
    /// A streamed result; the body arrives as the function writes it.
    Stream(ResponseStream),
    /// The function or the platform reported an error; `body` is the error document.
    FunctionError { error_type: String, body: Bytes },
}

impl Outcome {
    /// A platform error (`Sandbox.Timedout`, `Runtime.ExitError`, ...) with its document.
    pub(crate) fn platform(error_type: &str, body: Vec<u8>) -> Outcome {
        Outcome::FunctionError {
            error_type: error_type.to_string(),
            body: Bytes::from(body),
        }
    }
}

/// The answer to an invocation.
#[derive(Debug)]
pub struct Invoked {
    pub request_id: String,
    pub outcome: Outcome,
    /// How long the instance took to start, when it started for this invocation (a cold
    /// start), as the REPORT line's `Init Duration`.
    pub init_duration: Option<std::time::Duration>,
    /// The last bytes of the invocation's log, when asked for. For a stream, filled only at
    /// its end, so it is `None` here.
    pub log_tail: Option<String>,
}

/// Why an invocation was not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    #[error("the function's reserved concurrency is exhausted")]
    Throttled,
    #[error("Portico is shutting down")]
    ShuttingDown,
}

/// One piece of a streamed response.
#[derive(Debug)]
pub enum StreamEvent {
    Data(Bytes),
    /// The stream broke: the function reported an error mid-stream, timed out or crashed.
    Error {
        error_type: String,
        body: Bytes,
    },
}

/// A streamed response body, as the function writes it. The function's concurrency slot
/// stays taken until the function has finished the stream, read or not.
#[derive(Debug)]
pub struct ResponseStream {
    pub content_type: Option<String>,
    pub(crate) rx: mpsc::Receiver<StreamEvent>,
    /// The invocation's log tail, sent when it ends, if the caller asked for it.
    pub(crate) log_tail: Option<oneshot::Receiver<String>>,
}

impl ResponseStream {
    /// The next piece; `None` once the function has finished the stream.
    pub async fn next(&mut self) -> Option<StreamEvent> {
        self.rx.recv().await
    }

    /// Polls for the next piece, for body types that are polled.
    pub fn poll_next(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<StreamEvent>> {
        self.rx.poll_recv(cx)
    }

    /// The tail of the invocation's log, once the stream has ended; `None` when it was not
    /// asked for (or the instance is gone).
    pub fn poll_log_tail(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<String>> {
        let Some(tail) = &mut self.log_tail else {
            return std::task::Poll::Ready(None);
        };
        let polled = std::pin::Pin::new(tail).poll(cx).map(Result::ok);
        if polled.is_ready() {
            self.log_tail = None;
        }
        polled
    }

    /// [`Self::poll_log_tail`], awaited.
    pub async fn log_tail(&mut self) -> Option<String> {
        std::future::poll_fn(|cx| self.poll_log_tail(cx)).await
    }
}

/// An invocation waiting in its function's queue, with the channel that answers its caller.
#[derive(Debug)]
pub(crate) struct Queued {
    pub request: InvokeRequest,
    pub reply: oneshot::Sender<Invoked>,
    /// The function's concurrency slot, held from queueing until the invocation ends.
    pub slot: OwnedSemaphorePermit,
}
