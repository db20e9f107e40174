//! The signing keys of JWT issuers, fetched over HTTP (from `jwks_uri`, or found through the
//! issuer's OpenID configuration) and kept until a token names a key they lack; refetching
//! then is rate-limited, so a flood of tokens with made-up key ids cannot hammer the issuer.
//! Tokens once verified are remembered until they expire.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::jwk::JwkSet;

/// How long a fetch may take (API Gateway allows 1500 ms).
const FETCH_TIMEOUT: Duration = Duration::from_millis(1500);
/// The largest key set read (API Gateway's limit).
const MAX_JWKS: usize = 150_000;
/// The least time between two fetches of one issuer's keys.
const REFETCH_AFTER: Duration = Duration::from_secs(10);

pub struct Jwks {
    client: Client<HttpConnector, Empty<Bytes>>,
    sets: tokio::sync::Mutex<HashMap<String, Entry>>,
    /// Tokens already verified, by rule (issuer and audiences) and token, until their `exp`:
    /// a signature check costs far more than the request it guards.
    verified: std::sync::Mutex<HashMap<(String, String), portico_auth::Verified>>,
}

/// The most verified tokens remembered; past it the memory starts afresh.
const MAX_VERIFIED: usize = 10_000;

/// A verified token's place in memory: what it was checked against, and the token. Two
/// authorizers of one issuer with other audiences never share a verdict.
fn memory_key(rule: &portico_auth::jwt::Rule<'_>, token: &str) -> (String, String) {
    (
        format!("{}\u{0}{}", rule.issuer, rule.audience.join("\u{0}")),
        token.to_string(),
    )
}

struct Entry {
    keys: Arc<JwkSet>,
    fetched: Instant,
}

impl Default for Jwks {
    fn default() -> Self {
        Jwks {
            client: Client::builder(TokioExecutor::new()).build_http(),
            sets: tokio::sync::Mutex::new(HashMap::new()),
            verified: std::sync::Mutex::new(HashMap::new()),
        }
    }
}

impl Jwks {
    /// A token verified before by the same `rule` (issuer and audiences) and not expired
    /// since.
    pub fn verified(
        &self,
        rule: &portico_auth::jwt::Rule<'_>,
        token: &str,
    ) -> Option<portico_auth::Verified> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(u64::MAX);
        let verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        verified
            .get(&memory_key(rule, token))
            .filter(|v| v.expires > now)
            .cloned()
    }

    /// Remembers a token `rule` verified, until its `exp`.
    pub fn remember(
        &self,
        rule: &portico_auth::jwt::Rule<'_>,
        token: &str,
        verified: &portico_auth::Verified,
    ) {
        let mut memory = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if memory.len() >= MAX_VERIFIED {
            memory.clear();
        }
        memory.insert(memory_key(rule, token), verified.clone());
    }

    /// The issuer's keys: cached, or fetched when there are none or when `stale` (a token
    /// named an unknown key) and the last fetch is old enough.
    pub async fn keys(
        &self,
        issuer: &str,
        jwks_uri: Option<&str>,
        stale: bool,
    ) -> Result<Arc<JwkSet>, String> {
        let mut sets = self.sets.lock().await;
        if let Some(entry) = sets.get(issuer)
            && (!stale || entry.fetched.elapsed() < REFETCH_AFTER)
        {
            return Ok(entry.keys.clone());
        }
        let uri = match jwks_uri {
            Some(uri) => uri.to_string(),
            None => {
                let discovery = format!(
                    "{}/.well-known/openid-configuration",
                    issuer.trim_end_matches('/')
                );
                let config: serde_json::Value =
                    serde_json::from_slice(&self.get(&discovery).await?)
                        .map_err(|e| format!("{discovery} is not JSON: {e}"))?;
                config["jwks_uri"]
                    .as_str()
                    .ok_or_else(|| format!("{discovery} has no jwks_uri"))?
                    .to_string()
            }
        };
        let keys: JwkSet = serde_json::from_slice(&self.get(&uri).await?)
            .map_err(|e| format!("{uri} is not a JWKS: {e}"))?;
        let keys = Arc::new(keys);
        sets.insert(
            issuer.to_string(),
            Entry {
                keys: keys.clone(),
                fetched: Instant::now(),
            },
        );
        Ok(keys)
    }

    async fn get(&self, uri: &str) -> Result<Bytes, String> {
        let uri: http::Uri = uri.parse().map_err(|e| format!("{uri}: {e}"))?;
        let fetch = async {
            let response = self
                .client
                .get(uri.clone())
                .await
                .map_err(|e| format!("{uri}: {e}"))?;
            if !response.status().is_success() {
                return Err(format!("{uri} answered {}", response.status()));
            }
            let body = Limited::new(response.into_body(), MAX_JWKS).collect().await;
            body.map(|b| b.to_bytes())
                .map_err(|e| format!("{uri}: {e}"))
        };
        tokio::time::timeout(FETCH_TIMEOUT, fetch)
            .await
            .map_err(|_| format!("{uri} did not answer within {FETCH_TIMEOUT:?}"))?
    }
}
