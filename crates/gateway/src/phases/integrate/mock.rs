//! A REST API's MOCK integration: no backend; the request template's `statusCode` picks
//! the integration response.

use crate::refusal::Refusal;
use portico_events::GatewayResponse;

/// The status a mock answers with: the `statusCode` of the rendered request template.
pub fn status(payload: &str) -> Result<u16, Refusal> {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| v.get("statusCode").and_then(serde_json::Value::as_u64))
        .and_then(|s| u16::try_from(s).ok())
        .ok_or_else(|| {
            Refusal::rest(
                GatewayResponse::ApiConfigurationError,
                "the mock's request template gives no statusCode",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mock_answers_with_its_templates_status_code() {
        assert_eq!(status(r#"{"statusCode": 201}"#).unwrap(), 201);
        for broken in [
            "",
            "{}",
            r#"{"statusCode": "200"}"#,
            r#"{"statusCode": 70000}"#,
        ] {
            let refusal = status(broken).unwrap_err();
            assert!(
                matches!(
                    refusal.kind,
                    crate::refusal::Kind::Rest(GatewayResponse::ApiConfigurationError)
                ),
                "{broken}"
            );
        }
    }
}
