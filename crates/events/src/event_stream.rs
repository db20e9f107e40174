//! AWS's binary event-stream framing (`application/vnd.amazon.eventstream`), as
//! `InvokeWithResponseStream` answers with it: `PayloadChunk` events, then one
//! `InvokeComplete`.
//!
//! A message is `total length (u32) | headers length (u32) | CRC32 of those 8 bytes |
//! headers | payload | CRC32 of everything before`, big-endian; each header is
//! `name length (u8) | name | type 7 (string) | value length (u16) | value`.

use bytes::{BufMut, Bytes, BytesMut};

/// One event message with string headers.
fn message(headers: &[(&str, &str)], payload: &[u8]) -> Bytes {
    let headers_len: usize = headers
        .iter()
        .map(|(n, v)| 1 + n.len() + 1 + 2 + v.len())
        .sum();
    let total = 12 + headers_len + payload.len() + 4;
    let mut out = BytesMut::with_capacity(total);
    out.put_u32(total as u32);
    out.put_u32(headers_len as u32);
    out.put_u32(crc32fast::hash(&out[..8]));
    for (name, value) in headers {
        out.put_u8(name.len() as u8);
        out.put_slice(name.as_bytes());
        out.put_u8(7);
        out.put_u16(value.len() as u16);
        out.put_slice(value.as_bytes());
    }
    out.put_slice(payload);
    out.put_u32(crc32fast::hash(&out));
    out.freeze()
}

/// A `PayloadChunk` event carrying `bytes` of the function's response.
pub fn payload_chunk(bytes: &[u8]) -> Bytes {
    message(
        &[
            (":event-type", "PayloadChunk"),
            (":content-type", "application/octet-stream"),
            (":message-type", "event"),
        ],
        bytes,
    )
}

/// The closing `InvokeComplete` event: the error (type and details) if the function
/// failed, and the base64 log tail if it was asked for.
pub fn invoke_complete(error: Option<(&str, &str)>, log_result: Option<&str>) -> Bytes {
    let mut body = serde_json::Map::new();
    if let Some((code, details)) = error {
        body.insert("ErrorCode".into(), code.into());
        body.insert("ErrorDetails".into(), details.into());
    }
    if let Some(log) = log_result {
        body.insert("LogResult".into(), log.into());
    }
    let payload = serde_json::to_vec(&body).unwrap_or_default();
    message(
        &[
            (":event-type", "InvokeComplete"),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        &payload,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a message back, checking lengths and both checksums.
    fn parse(bytes: &[u8]) -> (Vec<(String, String)>, Vec<u8>) {
        let be32 = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let total = be32(0);
        let headers_len = be32(4);
        assert_eq!(total, bytes.len());
        assert_eq!(be32(8) as u32, crc32fast::hash(&bytes[..8]));
        assert_eq!(be32(total - 4) as u32, crc32fast::hash(&bytes[..total - 4]));
        let mut headers = Vec::new();
        let mut at = 12;
        while at < 12 + headers_len {
            let n = bytes[at] as usize;
            let name = String::from_utf8(bytes[at + 1..at + 1 + n].to_vec()).unwrap();
            at += 1 + n;
            assert_eq!(bytes[at], 7);
            let len = u16::from_be_bytes([bytes[at + 1], bytes[at + 2]]) as usize;
            let value = String::from_utf8(bytes[at + 3..at + 3 + len].to_vec()).unwrap();
            at += 3 + len;
            headers.push((name, value));
        }
        (headers, bytes[12 + headers_len..total - 4].to_vec())
    }

    #[test]
    fn frames_round_trip_with_valid_checksums() {
        let (headers, payload) = parse(&payload_chunk(b"hello"));
        assert!(headers.contains(&(":event-type".into(), "PayloadChunk".into())));
        assert!(headers.contains(&(":message-type".into(), "event".into())));
        assert_eq!(payload, b"hello");

        let (headers, payload) =
            parse(&invoke_complete(Some(("Error", "{\"a\":1}")), Some("TG9n")));
        assert!(headers.contains(&(":event-type".into(), "InvokeComplete".into())));
        let body: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"ErrorCode": "Error", "ErrorDetails": "{\"a\":1}", "LogResult": "TG9n"})
        );
        let (_, payload) = parse(&invoke_complete(None, None));
        assert_eq!(payload, b"{}");
    }
}
