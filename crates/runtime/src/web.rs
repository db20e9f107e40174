//! `runtime: web`: Portico as the runtime of a web server. One task per instance asks the
//! supervisor for invocations as a runtime asks the Runtime API (`Call::Next`), once the
//! server passes its readiness check; turns each event into a plain HTTP request to the
//! server on its loopback port (`portico_events::web`); and hands the answer back
//! (`Call::Response`, streamed with the HTTP prelude when the caller streams).
//!
//! The task owns only its connection to the server: the invocation's state, deadline and
//! log stay with the supervisor, which aborts this task when the instance stops.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request};
use http_body_util::{Empty, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use portico_config::{Readiness, ReadinessProtocol};
use portico_events::errors::platform;
use portico_events::response::HTTP_INTEGRATION_RESPONSE;
use portico_events::runtime_api as rapi;
use portico_events::web::{self, Invocation, Shape};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

use crate::api::{Ack, Call, Delivery, Refused, ResponseBody, Shared};
use crate::body::ReadError;

/// How often the readiness check is tried, as the Lambda Web Adapter tries it.
const READINESS_EVERY: Duration = Duration::from_millis(10);

/// A web server, as the forwarder reaches it.
pub(crate) struct App {
    pub port: u16,
    pub readiness: Readiness,
    pub function_name: String,
    pub memory_mb: u32,
}

/// Waits for the server to be ready, then serves invocations until the supervisor is gone.
pub(crate) async fn run(app: App, shared: Shared) {
    app.ready().await;
    let mut forwarder = Forwarder {
        app,
        shared,
        connection: None,
    };
    loop {
        let (reply, delivered) = oneshot::channel();
        if forwarder
            .shared
            .calls()
            .send(Call::Next { reply })
            .await
            .is_err()
        {
            return;
        }
        let Ok(delivery) = delivered.await else {
            return;
        };
        // A server that failed to answer (crashed, say) is asked for no more until it
        // passes its readiness check again: a dead one never does, and the supervisor
        // replaces its instance once it sees it end.
        if forwarder.invoke(delivery).await == Answered::ServerFailed {
            forwarder.connection = None;
            forwarder.app.ready().await;
        }
    }
}

/// How an invocation ended, as the forwarder saw it.
#[derive(Debug, PartialEq, Eq)]
enum Answered {
    /// The server's answer (or what the supervisor did with it) went back.
    Done,
    /// The server could not be reached or broke off its answer.
    ServerFailed,
}

impl App {
    /// The readiness check, as the log says it: `GET http://127.0.0.1:8080/health`.
    pub fn describe_check(&self) -> String {
        match self.readiness.protocol {
            ReadinessProtocol::Tcp => format!("a TCP connection to {}", self.authority()),
            ReadinessProtocol::Http => {
                format!("GET http://{}{}", self.authority(), self.readiness.path)
            }
        }
    }

    fn authority(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Tries the readiness check until it passes (the supervisor's init deadline bounds it).
    async fn ready(&self) {
        while !self.check().await {
            tokio::time::sleep(READINESS_EVERY).await;
        }
    }

    /// One readiness check: a TCP connection, or a `GET` of the path answered with a healthy
    /// status.
    async fn check(&self) -> bool {
        let Ok(stream) = TcpStream::connect(("127.0.0.1", self.port)).await else {
            return false;
        };
        if self.readiness.protocol == ReadinessProtocol::Tcp {
            return true;
        }
        let Ok((mut sender, connection)) = http1::handshake(TokioIo::new(stream)).await else {
            return false;
        };
        let connection = tokio::spawn(connection);
        let request = Request::get(self.readiness.path.as_str())
            .header(http::header::HOST, self.authority())
            .body(Empty::<Bytes>::new());
        let healthy = match request {
            Ok(request) => match sender.send_request(request).await {
                Ok(answer) => self.readiness.healthy.accepts(answer.status().as_u16()),
                Err(_) => false,
            },
            Err(_) => false,
        };
        connection.abort();
        healthy
    }
}

struct Forwarder {
    app: App,
    shared: Shared,
    /// A kept-alive connection to the server, when it allows one.
    connection: Option<SendRequest<Full<Bytes>>>,
}

impl Forwarder {
    async fn invoke(&mut self, delivery: Delivery) -> Answered {
        let header = |name: &str| {
            delivery
                .headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or_default()
        };
        let id = header(rapi::REQUEST_ID).to_string();
        let context = web::lambda_context(&Invocation {
            request_id: &id,
            deadline_ms: header(rapi::DEADLINE_MS).parse().unwrap_or_default(),
            invoked_function_arn: header(rapi::INVOKED_FUNCTION_ARN),
            trace_id: header(rapi::TRACE_ID),
            function_name: &self.app.function_name,
            memory_mb: self.app.memory_mb,
        });
        let app_request = web::request(&delivery.payload);
        let shape = app_request.shape;
        let answer = match self.send(app_request, &context).await {
            Ok(answer) => answer,
            Err(why) => {
                let body = Bytes::from(platform::web_app_failed(&id, &why));
                self.error(id, "Runtime.WebAppError", body).await;
                return Answered::ServerFailed;
            }
        };
        let (head, body) = answer.into_parts();
        if delivery.response_stream && shape != Shape::PassThrough {
            let prelude = Bytes::from(web::prelude(head.status, &head.headers));
            let content_type = Some(HTTP_INTEGRATION_RESPONSE.to_string());
            // Refused only when the supervisor has moved on (the instance is stopping).
            let _: Result<(), Refused> = self
                .shared
                .pump(id, content_type, Some(prelude), body)
                .await;
            return Answered::Done;
        }
        let limit = self.shared.limits().buffered_response;
        let outcome = match crate::body::read(body, limit).await {
            Ok(body) => {
                let result = web::result(shape, head.status, &head.headers, &body);
                if portico_config::limits::exceeds(result.len(), limit) {
                    ResponseBody::TooLarge
                } else {
                    ResponseBody::Buffered {
                        body: Bytes::from(result),
                        content_type: Some("application/json".into()),
                    }
                }
            }
            Err(ReadError::TooLarge) => ResponseBody::TooLarge,
            Err(ReadError::Broken) => {
                let body = Bytes::from(platform::web_app_failed(
                    &id,
                    "the connection closed in the middle of the answer",
                ));
                self.error(id, "Runtime.WebAppError", body).await;
                return Answered::ServerFailed;
            }
        };
        let (reply, ack) = oneshot::channel();
        let call = Call::Response {
            id,
            body: outcome,
            reply,
        };
        if self.shared.calls().send(call).await.is_ok() {
            let _: Result<Ack, _> = ack.await;
        }
        Answered::Done
    }

    /// Fails invocation `id` with an error document, as a runtime's `/error` post does.
    async fn error(&self, id: String, error_type: &str, body: Bytes) {
        let (reply, ack) = oneshot::channel();
        let call = Call::Error {
            id: Some(id),
            error_type: error_type.to_string(),
            body,
            reply,
        };
        if self.shared.calls().send(call).await.is_ok() {
            let _ = ack.await;
        }
    }

    /// Sends the request on the kept-alive connection, or a new one; once more on a new
    /// connection when a kept-alive one turned out closed before the request went out.
    async fn send(
        &mut self,
        app_request: web::AppRequest,
        context: &str,
    ) -> Result<http::Response<hyper::body::Incoming>, String> {
        let mut headers = http::HeaderMap::new();
        for (name, value) in app_request.headers {
            headers.append(name, value);
        }
        if !headers.contains_key(http::header::HOST)
            && let Ok(host) = HeaderValue::from_str(&self.app.authority())
        {
            headers.insert(http::header::HOST, host);
        }
        if let Ok(value) = HeaderValue::from_str(context) {
            headers.insert(web::LAMBDA_CONTEXT, value);
        }
        let body = Bytes::from(app_request.body);
        let make = || {
            let mut request = Request::builder()
                .method(app_request.method.clone())
                .uri(app_request.target.as_str())
                .body(Full::new(body.clone()))
                .map_err(|e| e.to_string())?;
            *request.headers_mut() = headers.clone();
            Ok::<_, String>(request)
        };
        let reused = self.connection.as_ref().is_some_and(|c| !c.is_closed());
        let mut sender = self.connect().await?;
        let answer = match sender.send_request(make()?).await {
            Ok(answer) => answer,
            Err(e) if reused && e.is_canceled() => {
                sender = self.connect().await?;
                sender
                    .send_request(make()?)
                    .await
                    .map_err(|e| e.to_string())?
            }
            Err(e) => return Err(e.to_string()),
        };
        // An HTTP/1.0 server, or one that says so, closes the connection after answering.
        let closes = answer.version() == http::Version::HTTP_10
            || answer
                .headers()
                .get(http::header::CONNECTION)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        if !closes {
            self.connection = Some(sender);
        }
        Ok(answer)
    }

    /// The kept-alive connection if it is still open, else a new one.
    async fn connect(&mut self) -> Result<SendRequest<Full<Bytes>>, String> {
        if let Some(mut sender) = self.connection.take()
            && sender.ready().await.is_ok()
        {
            return Ok(sender);
        }
        let stream = TcpStream::connect(("127.0.0.1", self.app.port))
            .await
            .map_err(|e| format!("cannot connect to 127.0.0.1:{}: {e}", self.app.port))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }
}
