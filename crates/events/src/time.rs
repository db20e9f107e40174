//! Time formats and identifiers as AWS writes them.

use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::macros::format_description;

/// `12/Mar/2020:19:03:58 +0000`, the format of `requestContext.time`.
pub fn clf(at: SystemTime) -> String {
    let format =
        format_description!("[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000");
    OffsetDateTime::from(at).format(&format).unwrap_or_default()
}

/// `2024-01-01T00:00:00.000Z`.
pub fn iso8601_ms(at: SystemTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::from(at).format(&format).unwrap_or_default()
}

/// Milliseconds since the Unix epoch.
pub fn epoch_ms(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// A Lambda request id: a random UUID.
pub fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An API Gateway request id (`requestContext.requestId`, `apigw-requestid`): 16 characters
/// of base64 ending in `=`, like `Mc7UVioPPHcEKPA=`.
pub fn apigw_request_id() -> String {
    use base64::Engine;
    let random = uuid::Uuid::new_v4();
    base64::engine::general_purpose::STANDARD.encode(&random.as_bytes()[..11])
}

/// An X-Ray trace header for a new request: `Root=1-<epoch hex>-<24 hex>;Sampled=0`.
pub fn trace_id(at: SystemTime) -> String {
    let secs = at
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("Root=1-{secs:08x}-{};Sampled=0", &random[..24])
}

/// The trace a request carries on: its `X-Amzn-Trace-Id` when that names a root
/// (`Root=1-…`), else its W3C `traceparent` written as an X-Ray header (the 32 hex digits
/// of the trace id split 8/24, the parent id, the sampled flag), else `None`.
pub fn incoming_trace_id(amzn: Option<&str>, traceparent: Option<&str>) -> Option<String> {
    if let Some(header) = amzn.map(str::trim)
        && header.split(';').any(|part| {
            part.trim()
                .strip_prefix("Root=1-")
                .is_some_and(|r| r.len() == 33)
        })
        && header.is_ascii()
    {
        return Some(header.to_string());
    }
    let parts: Vec<&str> = traceparent?.trim().split('-').collect();
    let [version, trace, parent, flags] = parts.as_slice() else {
        return None;
    };
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    let valid = hex(version, 2)
        && *version != "ff"
        && hex(trace, 32)
        && trace.bytes().any(|b| b != b'0')
        && hex(parent, 16)
        && parent.bytes().any(|b| b != b'0')
        && hex(flags, 2);
    if !valid {
        return None;
    }
    let sampled = u8::from_str_radix(flags, 16).map(|f| f & 1).unwrap_or(0);
    let trace = trace.to_ascii_lowercase();
    Some(format!(
        "Root=1-{}-{};Parent={};Sampled={sampled}",
        &trace[..8],
        &trace[8..],
        parent.to_ascii_lowercase()
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn incoming_traces_are_carried_on() {
        use super::incoming_trace_id;
        let amzn = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
        assert_eq!(incoming_trace_id(Some(amzn), None).as_deref(), Some(amzn));
        let w3c = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(
            incoming_trace_id(None, Some(w3c)).as_deref(),
            Some("Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=1")
        );
        // X-Amzn-Trace-Id wins over traceparent; malformed ones are not carried.
        assert_eq!(
            incoming_trace_id(Some(amzn), Some(w3c)).as_deref(),
            Some(amzn)
        );
        for bad in [
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-xyz-00f067aa0ba902b7-01",
        ] {
            assert_eq!(incoming_trace_id(None, Some(bad)), None, "{bad}");
        }
        assert_eq!(incoming_trace_id(Some("Root=oops"), None), None);
    }

    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_like_aws() {
        let at = UNIX_EPOCH + Duration::from_millis(1_583_348_638_390);
        assert_eq!(clf(at), "04/Mar/2020:19:03:58 +0000");
        assert_eq!(iso8601_ms(at), "2020-03-04T19:03:58.390Z");
        assert_eq!(epoch_ms(at), 1_583_348_638_390);
        let trace = trace_id(at);
        assert!(trace.starts_with("Root=1-5e5ffb9e-"), "{trace}");
        assert_eq!(
            trace.len(),
            "Root=1-5e5ffb9e-".len() + 24 + ";Sampled=0".len()
        );
    }
}
