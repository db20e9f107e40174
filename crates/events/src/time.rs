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

#[cfg(test)]
mod tests {
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
