//! Header names as the client spelt them. hyper lower-cases them and keeps its record of the
//! original case private, but REST APIs hand functions the client's spelling
//! (`event['headers']['Content-Type']`). So each HTTP/1 connection is read through a [`Tap`]
//! that finds the request heads in the bytes as they arrive (following each body's framing to
//! the next head) and queues their header names; the service takes them, in order, for the
//! request hyper gives it. HTTP/2 (whose names are lower-case on the wire), an upgrade, or
//! bytes that do not parse turn the tap off: the names stay lower-case, as before.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use portico_gateway::HeaderCase;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A head longer than this turns the tap off (hyper refuses it anyway).
const MAX_HEAD: usize = 64 * 1024;
/// Heads queued and not taken (requests hyper refused) beyond this are dropped, oldest first.
const MAX_QUEUED: usize = 64;
/// As many headers as hyper reads.
const MAX_HEADERS: usize = 100;

/// The connection's stream, read through the scanner.
pub struct Tap<S> {
    inner: S,
    heads: Heads,
}

impl<S> Tap<S> {
    pub fn new(inner: S, heads: Heads) -> Tap<S> {
        Tap { inner, heads }
    }
}

/// One connection's request heads, as the tap found them.
#[derive(Clone, Default)]
pub struct Heads(Arc<Mutex<Scanner>>);

impl Heads {
    /// For a connection nothing served needs the spelling of (no REST API): nothing is
    /// scanned.
    pub fn off() -> Heads {
        let scanner = Scanner {
            state: State::Off,
            ..Scanner::default()
        };
        Heads(Arc::new(Mutex::new(scanner)))
    }

    /// The header names of the request with `method` and `target` (its request line's path
    /// and query); heads before it that hyper did not serve are passed over. A request that
    /// matches no head (an absolute-form target) takes the first, without its names.
    pub fn take(&self, method: &str, target: &str) -> Option<HeaderCase> {
        let mut scanner = self.0.lock().ok()?;
        let at = scanner
            .heads
            .iter()
            .position(|head| head.method == method && head.target == target);
        match at {
            Some(at) => {
                scanner.heads.drain(..at);
                scanner.heads.pop_front().map(|h| HeaderCase(h.names))
            }
            None => {
                scanner.heads.pop_front();
                None
            }
        }
    }
}

#[derive(Debug, Default)]
struct Scanner {
    state: State,
    /// A head, chunk-size line or trailer not yet whole.
    buf: Vec<u8>,
    heads: VecDeque<Head>,
}

#[derive(Debug)]
struct Head {
    method: String,
    target: String,
    names: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum State {
    /// Reading a request head.
    #[default]
    Head,
    /// Passing over this many bytes of a body.
    Body(u64),
    /// Reading a chunk's size line.
    ChunkSize,
    /// Passing over a chunk's data and its CRLF.
    ChunkData(u64),
    /// Reading trailers up to the empty line.
    Trailers,
    /// Not HTTP/1 as the tap follows it: nothing more is scanned.
    Off,
}

/// Whether a step used bytes of the buffer or needs more.
enum Step {
    Used(usize),
    NeedMore,
}

impl Scanner {
    fn feed(&mut self, data: &[u8]) {
        let mut input = std::borrow::Cow::Borrowed(data);
        let mut at = 0;
        while at < input.len() {
            match self.state {
                State::Off => return,
                State::Body(left) | State::ChunkData(left) => {
                    let n = left.min((input.len() - at) as u64);
                    at += n as usize;
                    self.state = match (self.state, left - n) {
                        (State::Body(_), 0) => State::Head,
                        (State::Body(_), left) => State::Body(left),
                        (_, 0) => State::ChunkSize,
                        (_, left) => State::ChunkData(left),
                    };
                }
                State::Head | State::ChunkSize | State::Trailers => {
                    self.buf.extend_from_slice(&input[at..]);
                    at = input.len();
                    self.scan_buffered();
                    // What follows a head or size line in the buffer may be body bytes.
                    if matches!(self.state, State::Body(_) | State::ChunkData(_))
                        && !self.buf.is_empty()
                    {
                        input = std::borrow::Cow::Owned(std::mem::take(&mut self.buf));
                        at = 0;
                    }
                }
            }
        }
    }

    /// Reads whole heads, size lines and trailers off the buffer.
    fn scan_buffered(&mut self) {
        while !self.buf.is_empty() {
            let step = match self.state {
                State::Head => self.head(),
                State::ChunkSize => self.chunk_size(),
                State::Trailers => self.trailer(),
                _ => return,
            };
            match step {
                Step::Used(n) => {
                    self.buf.drain(..n);
                }
                Step::NeedMore => {
                    if self.buf.len() > MAX_HEAD {
                        self.off();
                    }
                    return;
                }
            }
        }
    }

    fn off(&mut self) {
        self.state = State::Off;
        self.buf = Vec::new();
    }

    fn head(&mut self) -> Step {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        let used = match request.parse(&self.buf) {
            Ok(httparse::Status::Complete(used)) => used,
            Ok(httparse::Status::Partial) => return Step::NeedMore,
            // HTTP/2's preface, or not HTTP at all.
            Err(_) => {
                self.off();
                return Step::NeedMore;
            }
        };
        let method = request.method.unwrap_or_default();
        let value = |name: &str| {
            request
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| String::from_utf8_lossy(h.value).to_ascii_lowercase())
        };
        let next = if method == "CONNECT" || value("upgrade").is_some() {
            State::Off
        } else if value("transfer-encoding").is_some_and(|te| te.contains("chunked")) {
            State::ChunkSize
        } else {
            match value("content-length").map(|n| n.trim().parse::<u64>()) {
                None | Some(Ok(0)) => State::Head,
                Some(Ok(n)) => State::Body(n),
                Some(Err(_)) => State::Off,
            }
        };
        if self.heads.len() == MAX_QUEUED {
            self.heads.pop_front();
        }
        self.heads.push_back(Head {
            method: method.to_string(),
            target: request.path.unwrap_or_default().to_string(),
            names: request.headers.iter().map(|h| h.name.to_string()).collect(),
        });
        if next == State::Off {
            self.off();
            return Step::NeedMore;
        }
        self.state = next;
        Step::Used(used)
    }

    fn chunk_size(&mut self) -> Step {
        match httparse::parse_chunk_size(&self.buf) {
            Ok(httparse::Status::Complete((used, 0))) => {
                self.state = State::Trailers;
                Step::Used(used)
            }
            // The data, then its CRLF.
            Ok(httparse::Status::Complete((used, size))) => {
                self.state = State::ChunkData(size.saturating_add(2));
                Step::Used(used)
            }
            Ok(httparse::Status::Partial) => Step::NeedMore,
            Err(_) => {
                self.off();
                Step::NeedMore
            }
        }
    }

    fn trailer(&mut self) -> Step {
        let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") else {
            return Step::NeedMore;
        };
        if end == 0 {
            self.state = State::Head;
        }
        Step::Used(end + 2)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tap<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        let read = &buf.filled()[before..];
        if matches!(polled, Poll::Ready(Ok(())))
            && !read.is_empty()
            && let Ok(mut scanner) = this.heads.0.lock()
        {
            scanner.feed(read);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tap<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names queued for `bytes` fed in pieces of `step` bytes.
    fn scanned(bytes: &[u8], step: usize) -> (Vec<(String, Vec<String>)>, State) {
        let mut scanner = Scanner::default();
        for piece in bytes.chunks(step) {
            scanner.feed(piece);
        }
        let heads = scanner
            .heads
            .into_iter()
            .map(|h| (format!("{} {}", h.method, h.target), h.names))
            .collect();
        (heads, scanner.state)
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn heads_are_found_past_bodies_of_every_framing_however_the_bytes_arrive() {
        let wire = b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello\
GET /b?q=1 HTTP/1.1\r\nHost: x\r\nX-Mixed-Case: 1\r\n\r\n\
PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: t\r\n\r\n\
DELETE /d HTTP/1.1\r\nHOST: x\r\n\r\n";
        let expected = vec![
            (
                "POST /a".to_string(),
                names(&["Host", "Content-Type", "Content-Length"]),
            ),
            ("GET /b?q=1".to_string(), names(&["Host", "X-Mixed-Case"])),
            ("PUT /c".to_string(), names(&["Host", "Transfer-Encoding"])),
            ("DELETE /d".to_string(), names(&["HOST"])),
        ];
        for step in [1, 2, 7, 64, wire.len()] {
            assert_eq!(
                scanned(wire, step),
                (expected.clone(), State::Head),
                "{step}"
            );
        }
    }

    #[test]
    fn what_the_tap_cannot_follow_turns_it_off() {
        let h2 = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
        assert_eq!(scanned(h2, 100), (Vec::new(), State::Off));
        let upgrade = b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n\x81\x05hello";
        let (heads, state) = scanned(upgrade, 100);
        assert_eq!((heads.len(), state), (1, State::Off));
        let bad_length = b"POST / HTTP/1.1\r\nContent-Length: lots\r\n\r\n";
        assert_eq!(scanned(bad_length, 100).1, State::Off);
        let endless = vec![b'a'; MAX_HEAD + 10];
        assert_eq!(scanned(&endless, 4096).1, State::Off);
    }

    #[test]
    fn a_tap_made_off_scans_nothing() {
        let heads = Heads::off();
        heads
            .0
            .lock()
            .unwrap()
            .feed(b"GET /a HTTP/1.1\r\nX-Case: y\r\n\r\n");
        assert!(heads.take("GET", "/a").is_none());
        assert!(heads.0.lock().unwrap().heads.is_empty());
    }

    #[test]
    fn a_request_takes_its_own_head_and_passes_over_refused_ones() {
        let heads = Heads::default();
        heads.0.lock().unwrap().feed(
            b"GET /refused HTTP/1.1\r\nHost: x\r\n\r\nGET /served HTTP/1.1\r\nX-Case: y\r\n\r\n",
        );
        let case = heads.take("GET", "/served").unwrap();
        assert_eq!(case.0, names(&["X-Case"]));
        assert!(heads.take("GET", "/refused").is_none());
        // A target written otherwise takes its own head only, not the next request's.
        heads
            .0
            .lock()
            .unwrap()
            .feed(b"GET http://x/a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nX-B: 1\r\n\r\n");
        assert!(heads.take("GET", "/a").is_none());
        assert_eq!(heads.take("GET", "/b").unwrap().0, names(&["X-B"]));
    }
}
