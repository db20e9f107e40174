//! The limits profile: the one place where AWS's sizes live.
//!
//! Every size check in Portico reads a [`Limits`] value; no other file holds 6 MB or 200 MB.
//! `None` means "no limit".

/// Which set of limits applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// What AWS enforces, so that what would break on AWS breaks here first.
    Aws,
    /// No artificial limits, for those who self-host.
    Unbounded,
}

impl Profile {
    pub const NAMES: &'static [&'static str] = &["aws", "unbounded"];

    pub fn parse(name: &str) -> Option<Profile> {
        match name {
            "aws" => Some(Profile::Aws),
            "unbounded" => Some(Profile::Unbounded),
            _ => None,
        }
    }

    pub fn limits(self) -> Limits {
        match self {
            Profile::Aws => Limits::AWS,
            Profile::Unbounded => Limits::UNBOUNDED,
        }
    }
}

/// Sizes in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A synchronous invocation's payload (Invoke API body, Function URL event).
    pub sync_payload: Option<usize>,
    /// A request body sent to an API Gateway API.
    pub api_payload: Option<usize>,
    /// The longest an HTTP API waits for its integration, in milliseconds (a route's
    /// `timeout_ms` may not exceed it).
    pub api_timeout_ms: Option<u64>,
    /// The longest a REST API integration's `timeoutInMillis` may be (API Gateway's
    /// regional maximum); REST integrations wait 29 s unless they say otherwise.
    pub rest_timeout_ms: Option<u64>,
    /// An asynchronous (`Event`) invocation's payload.
    pub async_payload: Option<usize>,
    /// A buffered response a function posts to the Runtime API.
    pub buffered_response: Option<usize>,
    /// A streamed response.
    pub streamed_response: Option<usize>,
    /// The log tail returned with `X-Amz-Log-Type: Tail`.
    pub log_tail: usize,
    /// A WebSocket message (a client's, or one posted to `@connections`); past it a client's
    /// connection is closed with 1009.
    pub websocket_message: Option<usize>,
    /// A WebSocket frame.
    pub websocket_frame: Option<usize>,
    /// How long a WebSocket connection may be idle, in seconds.
    pub websocket_idle_s: Option<u64>,
    /// How long a WebSocket connection may last, in seconds.
    pub websocket_lifetime_s: Option<u64>,
    /// How long a WebSocket route waits for its integration, in milliseconds.
    pub websocket_timeout_ms: Option<u64>,
}

impl Limits {
    /// AWS Lambda's documented limits.
    pub const AWS: Limits = Limits {
        sync_payload: Some(6 * 1024 * 1024),
        api_payload: Some(10 * 1024 * 1024),
        api_timeout_ms: Some(30_000),
        rest_timeout_ms: Some(300_000),
        async_payload: Some(1024 * 1024),
        // 6 MiB plus the 100 bytes of slack Lambda allows.
        buffered_response: Some(6 * 1024 * 1024 + 100),
        streamed_response: Some(200 * 1024 * 1024),
        log_tail: 4096,
        websocket_message: Some(128 * 1024),
        websocket_frame: Some(32 * 1024),
        websocket_idle_s: Some(10 * 60),
        websocket_lifetime_s: Some(2 * 60 * 60),
        websocket_timeout_ms: Some(29_000),
    };

    pub const UNBOUNDED: Limits = Limits {
        sync_payload: None,
        api_payload: None,
        api_timeout_ms: None,
        rest_timeout_ms: None,
        async_payload: None,
        buffered_response: None,
        streamed_response: None,
        log_tail: 4096,
        websocket_message: None,
        websocket_frame: None,
        websocket_idle_s: None,
        websocket_lifetime_s: None,
        websocket_timeout_ms: None,
    };
}

/// Whether `len` bytes exceed `limit`.
pub fn exceeds(len: usize, limit: Option<usize>) -> bool {
    limit.is_some_and(|max| len > max)
}
