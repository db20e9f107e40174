//! JWT authorizers (HTTP APIs): a token signed by one of the issuer's keys (JWKS), with the
//! issuer, an audience (`aud`, or `client_id` when there is no `aud`), a live `exp`/`nbf`, an
//! `iat` in the past, and, when the route asks for scopes, one of them (`scope` or `scp`).

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::{Map, Value};

use crate::strings;

/// What a JWT authorizer requires of every token.
pub struct Rule<'a> {
    pub issuer: &'a str,
    /// Accepted audiences; empty accepts any (a Cognito user pool authorizer takes the
    /// tokens of every app client of its pools).
    pub audience: &'a [String],
}

/// A token that passed [`verify`]: what the function is told, and until when it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// `requestContext.authorizer.jwt`: `{"claims": {...as strings}, "scopes": [...] | null}`.
    pub authorizer: Value,
    pub scopes: Vec<String>,
    /// The token's `exp`, in seconds since the epoch.
    pub expires: u64,
}

impl Verified {
    /// Whether the token carries one of a route's `scopes` (any token, when there are none).
    pub fn allows(&self, scopes: &[String]) -> bool {
        scopes.is_empty() || self.scopes.iter().any(|s| scopes.contains(s))
    }
}

/// Why a token is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No usable token: 401, with the reason as API Gateway words it in `www-authenticate`
    /// ("the token does not have a valid audience"): plain text, no quotes.
    Unauthorized(String),
    /// Signed with a key the JWKS does not have (yet): refresh the keys and try again.
    UnknownKey(String),
}

/// The algorithms API Gateway accepts: asymmetric only, so that no public key can be used
/// as an HMAC secret and `none` is never accepted.
const ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// The token in an `Authorization` value, with or without `Bearer `.
pub fn token(value: &str) -> &str {
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .unwrap_or(value)
        .trim()
}

/// Verifies `token` against `keys` and `rule` (scopes are the route's business: see
/// [`Verified::allows`]).
pub fn verify(token: &str, keys: &JwkSet, rule: &Rule<'_>) -> Result<Verified, Refusal> {
    let unauthorized = |why: &str| Refusal::Unauthorized(why.to_string());
    let header = decode_header(token).map_err(|_| match declared_algorithm(token) {
        Some(alg) => Refusal::Unauthorized(format!("signing method {alg} is invalid")),
        None => unauthorized("the token is malformed"),
    })?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(Refusal::Unauthorized(format!(
            "signing method {:?} is invalid",
            header.alg
        )));
    }
    let jwk = match &header.kid {
        Some(kid) => keys
            .find(kid)
            .ok_or_else(|| Refusal::UnknownKey(kid.clone()))?,
        None if keys.keys.len() == 1 => &keys.keys[0],
        None => return Err(unauthorized("the token does not name its key (kid)")),
    };
    let key = DecodingKey::from_jwk(jwk)
        .map_err(|_| unauthorized("the issuer's key for the token is not usable"))?;
    let mut validation = Validation::new(header.alg);
    validation.leeway = 0;
    validation.validate_nbf = true;
    validation.validate_aud = false;
    validation.set_issuer(&[rule.issuer]);
    validation.set_required_spec_claims(&["exp", "iss"]);
    let claims: Map<String, Value> = decode(token, &key, &validation)
        .map_err(|e| Refusal::Unauthorized(describe(e.kind())))?
        .claims;
    // `iat` must be in the past, as API Gateway checks it (jsonwebtoken does not).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    if claims
        .get("iat")
        .and_then(Value::as_u64)
        .is_some_and(|iat| iat > now)
    {
        return Err(unauthorized("the token was issued in the future (iat)"));
    }
    let audiences = strings(claims.get("aud"));
    let audience_ok = if rule.audience.is_empty() {
        true
    } else if audiences.is_empty() {
        strings(claims.get("client_id"))
            .iter()
            .any(|c| rule.audience.contains(c))
    } else {
        audiences.iter().any(|a| rule.audience.contains(a))
    };
    if !audience_ok {
        return Err(unauthorized("the token does not have a valid audience"));
    }
    let scopes: Vec<String> = match claims.get("scope") {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        _ => strings(claims.get("scp"))
            .into_iter()
            .flat_map(|s| s.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .collect(),
    };
    let expires = claims
        .get("exp")
        .and_then(Value::as_u64)
        .unwrap_or_default();
    let claims: Map<String, Value> = claims
        .into_iter()
        .map(|(k, v)| (k, Value::String(as_string(&v))))
        .collect();
    let authorizer = serde_json::json!({
        "claims": claims,
        "scopes": if scopes.is_empty() { Value::Null } else { Value::from(scopes.clone()) },
    });
    Ok(Verified {
        authorizer,
        scopes,
        expires,
    })
}

/// The `iss` a token claims, read without checking anything: only to pick which issuer's
/// keys should then verify it.
pub fn unverified_issuer(token: &str) -> Option<String> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&payload).ok()?;
    claims.get("iss")?.as_str().map(str::to_string)
}

/// The `alg` a token's header names, when the header is JSON but no algorithm we know
/// (`none`, say).
fn declared_algorithm(token: &str) -> Option<String> {
    use base64::Engine;
    let header = token.split('.').next()?;
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .ok()?;
    let header: Value = serde_json::from_slice(&header).ok()?;
    let alg = header.get("alg")?.as_str()?;
    alg.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        .then(|| alg.to_string())
}

/// A failed check of a decoded token, in API Gateway's words.
fn describe(error: &jsonwebtoken::errors::ErrorKind) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match error {
        ErrorKind::ExpiredSignature => "the token has expired".into(),
        ErrorKind::ImmatureSignature => "the token is not valid yet".into(),
        ErrorKind::InvalidIssuer => "the token does not have a valid issuer".into(),
        ErrorKind::InvalidSignature => "the token signature is invalid".into(),
        ErrorKind::MissingRequiredClaim(claim) => format!("the token has no {claim} claim"),
        ErrorKind::InvalidAlgorithm => "the token's signing method does not match its key".into(),
        _ => "the token is malformed".into(),
    }
}

/// Claims as API Gateway passes them: every value a string, arrays as `[a b c]`.
fn as_string(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(as_string).collect::<Vec<_>>().join(" ")
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_prefixes_are_optional() {
        assert_eq!(token("Bearer abc"), "abc");
        assert_eq!(token("abc"), "abc");
    }

    #[test]
    fn claims_become_strings() {
        assert_eq!(as_string(&serde_json::json!(["a", "b"])), "[a b]");
        assert_eq!(as_string(&serde_json::json!(1700000000)), "1700000000");
        assert_eq!(as_string(&serde_json::json!(true)), "true");
    }

    #[test]
    fn refuses_what_is_not_a_signed_token() {
        let keys = JwkSet { keys: Vec::new() };
        let rule = Rule {
            issuer: "http://issuer",
            audience: &[],
        };
        // alg none, and HS256 (a public key must never serve as an HMAC secret).
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwOi8vaXNzdWVyIn0.";
        let hs256 = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwOi8vaXNzdWVyIn0.c2ln";
        for bad in [none, hs256, "not.a.jwt", ""] {
            assert!(
                matches!(verify(bad, &keys, &rule), Err(Refusal::Unauthorized(_))),
                "{bad}"
            );
        }
        // HS256 is refused for its algorithm, before any key is looked at.
        assert_eq!(
            verify(hs256, &keys, &rule),
            Err(Refusal::Unauthorized(
                "signing method HS256 is invalid".into()
            ))
        );
    }
}
