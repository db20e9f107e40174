//! Reading a body within a size limit, shared by the Runtime API and the front doors.

use bytes::Bytes;
use http_body::Body;
use http_body_util::BodyExt;

/// The most bytes of an oversized request body read (and discarded) before answering, so
/// that the client reads the 413 instead of a reset connection.
const DRAIN_CAP: usize = 64 * 1024 * 1024;

/// Why a body could not be read: over the limit (read and discarded up to a cap, so the
/// sender sees the answer rather than a reset), or broken off by the sender.
#[derive(Debug)]
pub enum ReadError {
    TooLarge,
    Broken,
}

/// Reads `body` whole if it fits in `limit` bytes.
pub async fn read<B>(body: B, limit: Option<usize>) -> Result<Bytes, ReadError>
where
    B: Body<Data = Bytes>,
{
    let mut body = std::pin::pin!(body);
    let mut parts: Vec<Bytes> = Vec::new();
    let mut len = 0usize;
    let mut over = false;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(ReadError::Broken);
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        len += data.len();
        if portico_config::limits::exceeds(len, limit) {
            over = true;
            parts.clear();
            if len > DRAIN_CAP {
                break;
            }
            continue;
        }
        parts.push(data);
    }
    if over {
        return Err(ReadError::TooLarge);
    }
    Ok(match parts.len() {
        0 => Bytes::new(),
        1 => parts.pop().unwrap_or_default(),
        _ => parts.concat().into(),
    })
}
