//! The signing keys of JWT issuers, fetched over HTTP(S) (from `jwks_uri`, or found through
//! the issuer's OpenID configuration) and kept until a token names a key they lack: the keys
//! are fetched again then (a rotation), at most once per [`REFETCH_AFTER`], so a flood of
//! tokens with made-up key ids cannot hammer the issuer. One fetch per issuer at a time; the
//! others wait for its keys. Tokens once verified are remembered until they expire.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use jsonwebtoken::jwk::JwkSet;

/// How long a fetch may take (API Gateway allows 1500 ms).
const FETCH_TIMEOUT: Duration = Duration::from_millis(1500);
/// The largest key set read (API Gateway's limit).
const MAX_JWKS: usize = 150_000;
/// The least time between two fetches of one issuer's keys caused by unknown key ids.
const REFETCH_AFTER: Duration = Duration::from_secs(10);

pub struct Jwks {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    /// Per issuer, its keys once fetched; the async lock makes one fetch at a time.
    issuers: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Entry>>>>>,
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
    /// Where the keys came from (configured, or found through discovery once).
    jwks_uri: String,
    /// When the keys were last fetched because a token named a key they lack.
    refetched: Option<Instant>,
}

impl Default for Jwks {
    fn default() -> Self {
        Jwks {
            client: crate::client::pooled(),
            issuers: std::sync::Mutex::new(HashMap::new()),
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

    /// The issuer's keys: cached, or fetched when there are none, or when `stale` (a token
    /// named a key they lack) and no such refetch happened in the last [`REFETCH_AFTER`].
    pub async fn keys(
        &self,
        issuer: &str,
        jwks_uri: Option<&str>,
        stale: bool,
    ) -> Result<Arc<JwkSet>, String> {
        let slot = {
            let mut issuers = self.issuers.lock().unwrap_or_else(|e| e.into_inner());
            issuers.entry(issuer.to_string()).or_default().clone()
        };
        let mut entry = slot.lock().await;
        match entry.as_mut() {
            Some(entry) if !stale => Ok(entry.keys.clone()),
            Some(entry)
                if entry
                    .refetched
                    .is_some_and(|at| at.elapsed() < REFETCH_AFTER) =>
            {
                Ok(entry.keys.clone())
            }
            Some(entry) => {
                entry.refetched = Some(Instant::now());
                entry.keys = Arc::new(self.key_set(&entry.jwks_uri).await?);
                Ok(entry.keys.clone())
            }
            None => {
                let jwks_uri = match jwks_uri {
                    Some(uri) => uri.to_string(),
                    None => self.discover(issuer).await?,
                };
                let keys = Arc::new(self.key_set(&jwks_uri).await?);
                *entry = Some(Entry {
                    keys: keys.clone(),
                    jwks_uri,
                    refetched: None,
                });
                Ok(keys)
            }
        }
    }

    /// The `jwks_uri` of the issuer's OpenID configuration.
    async fn discover(&self, issuer: &str) -> Result<String, String> {
        let discovery = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let config: serde_json::Value = serde_json::from_slice(&self.get(&discovery).await?)
            .map_err(|e| format!("{discovery} is not JSON: {e}"))?;
        config["jwks_uri"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("{discovery} has no jwks_uri"))
    }

    async fn key_set(&self, uri: &str) -> Result<JwkSet, String> {
        serde_json::from_slice(&self.get(uri).await?)
            .map_err(|e| format!("{uri} is not a JWKS: {e}"))
    }

    async fn get(&self, uri: &str) -> Result<Bytes, String> {
        let uri: http::Uri = uri.parse().map_err(|e| format!("{uri}: {e}"))?;
        let fetch = async {
            let response = self
                .client
                .get(uri.clone())
                .await
                .map_err(|e| format!("{uri}: {}", crate::client::describe(&e)))?;
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
