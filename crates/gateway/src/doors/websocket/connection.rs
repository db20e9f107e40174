//! One open connection: frames from the client are routed and their routes invoked (a
//! bounded number at a time, so a client that floods waits), messages for the client are
//! written as they come from its outbox, and when it ends (a close frame, a broken socket,
//! `DELETE @connections`, idle, past its lifetime or Portico stopping) `$disconnect` runs.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use portico_config::websocket::{DEFAULT, DISCONNECT};
use portico_events::websocket::{self as ws, EventType, close};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::integrate::{Event, Kind};
use super::registry::Outgoing;
use super::{Failure, Logged, MESSAGES, Recorded, Session};

/// How many of a connection's messages may be with their functions at once; the next
/// frame is read when one is done.
const IN_FLIGHT: usize = 10;

/// The bytes read from a connection at a time.
const READ_BUFFER: usize = 4 * 1024;

/// How long a message (or the close frame) may wait for a client that reads nothing: past
/// it the connection is dropped, so a stalled client holds neither its task nor shutdown.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the connection `upgrade` yields until it ends, then `$disconnect`.
pub(super) async fn run<U, IO>(
    session: Arc<Session>,
    upgrade: U,
    mut inbox: mpsc::Receiver<Outgoing>,
    close_asked: Arc<Notify>,
) where
    U: Future<Output = Option<IO>> + Send + 'static,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (status, reason) = match upgrade.await {
        Some(io) => serve(&session, io, &mut inbox, &close_asked).await,
        None => (
            close::ABNORMAL,
            "the handshake did not complete".to_string(),
        ),
    };
    session.hub.connections.remove(&session.connection_id);
    metrics::gauge!(super::CONNECTIONS, "target" => session.target()).decrement(1.0);
    let api = session.now().map(|now| now.api);
    if let Some(route) = api.as_ref().and_then(|api| api.routes.get(DISCONNECT)) {
        let request_id = portico_events::time::apigw_request_id();
        let now = SystemTime::now();
        let event = Event {
            context: session.context(DISCONNECT, EventType::Disconnect, &request_id, now),
            kind: Kind::Disconnect {
                status,
                reason: &reason,
            },
        };
        // Best effort, as on AWS: its answer cannot reach anyone.
        let started = std::time::Instant::now();
        let answer = session.integrate(route, event).await;
        let latency = started.elapsed();
        let (status, function, failed) = match answer {
            Ok(answer) => (answer.status, answer.function, None),
            Err(failure) => (failure.status(), None, Some(failure)),
        };
        session.log(Logged {
            route_key: DISCONNECT,
            event_type: EventType::Disconnect,
            request_id: &request_id,
            message_id: None,
            request_time: now,
            status,
            integration_latency: Some(latency),
            error: failed.map(Failure::message),
            recorded: Some(Recorded {
                latency,
                function,
                request_bytes: 0,
                response_bytes: None,
            }),
        });
    }
}

/// Serves frames both ways until the connection ends; its close status and reason.
async fn serve<IO>(
    session: &Arc<Session>,
    io: IO,
    inbox: &mut mpsc::Receiver<Outgoing>,
    close_asked: &Notify,
) -> (u16, String)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let limits = &session.api.limits;
    // Small buffers: most connections sit idle (tungstenite's 128 KiB defaults would cost
    // that much per connection); each message is written as it is sent.
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(limits.websocket_message)
        .max_frame_size(limits.websocket_frame);
    let socket = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
    let (mut sink, mut stream) = socket.split();
    // Route responses and error frames from the message tasks join the outbox's messages.
    let (replies, mut replied) = mpsc::channel::<Outgoing>(super::OUTBOX);
    let in_flight = Arc::new(Semaphore::new(IN_FLIGHT));
    let far = Duration::from_secs(365 * 24 * 3600);
    let lifetime = limits.websocket_lifetime_s.map_or(far, Duration::from_secs);
    let idle = limits.websocket_idle_s.map_or(far, Duration::from_secs);
    let ends = tokio::time::sleep(lifetime);
    tokio::pin!(ends);
    let target = session.target();
    let ending = loop {
        let idle_until = tokio::time::sleep(idle);
        let step = tokio::select! {
            frame = stream.next() => {
                let (body, binary) = match frame {
                    Some(Ok(Message::Text(text))) => (Bytes::from(text), false),
                    Some(Ok(Message::Binary(bytes))) => (bytes, true),
                    Some(Ok(Message::Close(frame))) => {
                        // The socket has queued its reply to the close: send it.
                        let _ = sink.close().await;
                        return match frame {
                            Some(frame) => (u16::from(frame.code), frame.reason.as_str().to_string()),
                            None => (close::NO_STATUS, "Client-side close frame status not set".into()),
                        };
                    }
                    // Pings are answered by the socket itself.
                    Some(Ok(_)) => continue,
                    Some(Err(WsError::Capacity(e))) => {
                        break (close::TOO_BIG, format!("Message too big: {e}"));
                    }
                    Some(Err(WsError::Utf8(_))) => {
                        break (close::INVALID_DATA, "Invalid UTF-8 in a text frame".into());
                    }
                    Some(Err(e)) => return (close::ABNORMAL, format!("the connection broke: {e}")),
                    None => return (close::ABNORMAL, "the connection broke without a close frame".into()),
                };
                metrics::counter!(MESSAGES, "target" => target.clone(), "direction" => "in").increment(1);
                session.hub.connections.touch(&session.connection_id);
                let Ok(permit) = in_flight.clone().acquire_owned().await else {
                    continue;
                };
                let session = session.clone();
                let replies = replies.clone();
                // Tracked with the connections' tasks: at shutdown the functions stop only
                // once every message is answered.
                session.hub.tasks.clone().spawn(async move {
                    let reply = route_message(&session, &body, binary).await;
                    // A closed channel: the connection ended meanwhile, nobody to tell.
                    if let Some(reply) = reply
                        && let Err(mpsc::error::TrySendError::Full(_)) = replies.try_send(reply)
                    {
                        super::dropped(session.target(), "outbox_full");
                        tracing::warn!(
                            "WebSocket connection {}: a route response is dropped: the client reads too slowly",
                            session.connection_id
                        );
                    }
                    drop(permit);
                });
                continue;
            }
            Some(outgoing) = inbox.recv() => outgoing,
            Some(outgoing) = replied.recv() => outgoing,
            _ = close_asked.notified() => break (close::NORMAL, "closed by DELETE @connections".into()),
            _ = session.hub.stopping.cancelled() => break (close::GOING_AWAY, "Going away: Portico is stopping".into()),
            _ = idle_until => break (close::GOING_AWAY, "Going away: idle too long".into()),
            _ = &mut ends => {
                break (close::GOING_AWAY, "Going away: the connection's lifetime is over".into());
            }
        };
        let message = match step {
            Outgoing::Text(text) => Message::text(text),
            Outgoing::Binary(bytes) => Message::binary(bytes),
        };
        match tokio::time::timeout(WRITE_TIMEOUT, sink.send(message)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return (close::ABNORMAL, format!("the connection broke: {e}")),
            Err(_) => {
                super::dropped(target.clone(), "client_stalled");
                return (close::ABNORMAL, "the client stopped reading".into());
            }
        }
        metrics::counter!(MESSAGES, "target" => target.clone(), "direction" => "out").increment(1);
    };
    // Portico ends it: the client is told why in a close frame.
    let (code, reason) = &ending;
    let _ = tokio::time::timeout(WRITE_TIMEOUT, sink.send(close_frame(*code, reason))).await;
    ending
}

/// Routes a message by the API's route selection expression (a message that is not JSON,
/// or selects no route, goes to `$default`), runs the route's integration, and says what
/// goes back to the client: the route response, or an error frame.
async fn route_message(session: &Session, body: &[u8], binary: bool) -> Option<Outgoing> {
    let arrived = std::time::Instant::now();
    let request_id = portico_events::time::apigw_request_id();
    let error = |message: &str| {
        let frame = ws::error_frame(message, &session.connection_id, &request_id);
        Some(Outgoing::Text(frame))
    };
    // The API as it is served now: a reload may have changed its routes.
    let Some(now) = session.now() else {
        return error("Forbidden");
    };
    let routes = &now.api.routes;
    let selected = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(json) if !binary => Some(now.api.route_selection.select(&json)),
        _ => None,
    };
    let route_key = selected
        .filter(|key| routes.contains_key(key) && !key.starts_with('$'))
        .unwrap_or_else(|| DEFAULT.to_string());
    let message_id = portico_events::time::apigw_request_id();
    let received = SystemTime::now();
    let log = |status: u16, latency, failure: Option<&str>, function, reply: Option<&Outgoing>| {
        session.log(Logged {
            route_key: &route_key,
            event_type: EventType::Message,
            request_id: &request_id,
            message_id: Some(&message_id),
            request_time: received,
            status,
            integration_latency: latency,
            error: failure,
            recorded: Some(Recorded {
                latency: arrived.elapsed(),
                function,
                request_bytes: body.len() as u64,
                response_bytes: reply.map(|r| r.len() as u64),
            }),
        })
    };
    let Some(route) = routes.get(&route_key) else {
        log(403, None, Some("no route matches the message"), None, None);
        return error("Forbidden");
    };
    let event = Event {
        context: session.context(&route_key, EventType::Message, &request_id, received),
        kind: Kind::Message {
            id: &message_id,
            body,
            binary,
        },
    };
    let started = std::time::Instant::now();
    let answer = session.integrate(route, event).await;
    let latency = Some(started.elapsed());
    match answer {
        Ok(answer) => {
            let reply = answer.reply.filter(|_| route.route_response);
            log(
                answer.status,
                latency,
                None,
                answer.function,
                reply.as_ref(),
            );
            reply
        }
        Err(failure) => {
            log(
                failure.status(),
                latency,
                Some(failure.message()),
                None,
                None,
            );
            error(failure.message())
        }
    }
}

fn close_frame(code: u16, reason: &str) -> Message {
    // A close frame's reason is at most 123 bytes.
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    Message::Close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: reason[..end].to_string().into(),
    }))
}
