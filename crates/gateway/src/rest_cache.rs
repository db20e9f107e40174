//! The stage cache of REST APIs (API caching): a stage keeps the successful answers of its
//! GET methods (`cache_ttl`) and of the methods it names (`cache_methods`) for their TTL,
//! keyed as API Gateway keys them: the method, the resource (its template, not the path:
//! path parameters count only when named in `cacheKeyParameters`, as on AWS) and the cache
//! key parameters' values. Behind a trait, so that several nodes can later share one store.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderName, HeaderValue};

/// A cached answer.
#[derive(Debug, Clone)]
pub struct Cached {
    pub status: u16,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

impl Cached {
    /// The answer, as it was kept.
    pub fn into_response(self) -> http::Response<crate::body::Body> {
        let mut response = http::Response::new(crate::body::Body::full(self.body));
        *response.status_mut() =
            http::StatusCode::from_u16(self.status).unwrap_or(http::StatusCode::OK);
        let headers = response.headers_mut();
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        response
    }
}

pub trait ResponseCache: Send + Sync {
    fn get(&self, key: &str) -> Option<Cached>;
    fn put(&self, key: String, value: Cached, ttl: Duration);
}

/// The most answers kept; past it, expired ones go, then the oldest.
const MAX_ENTRIES: usize = 10_000;

/// Answers in this process's memory.
#[derive(Default)]
pub struct LocalResponses {
    entries: Mutex<HashMap<String, (Instant, Cached)>>,
}

impl ResponseCache for LocalResponses {
    fn get(&self, key: &str) -> Option<Cached> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(expires, _)| *expires > Instant::now())
            .map(|(_, cached)| cached.clone())
    }

    fn put(&self, key: String, value: Cached, ttl: Duration) {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (expires, _)| *expires > now);
        }
        if entries.len() >= MAX_ENTRIES
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (expires, _))| *expires)
                .map(|(k, _)| k.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(key, (now + ttl, value));
    }
}

/// The cache key of a request: API, stage, method, resource template, and each cache key
/// parameter (`method.request.querystring.q`, `.header.h`, `.path.p`) with its value, or
/// none when absent. Written as a JSON array, so that no value can pass for another part.
pub fn key(
    api: &str,
    stage: &str,
    method_key: &str,
    parameters: &[String],
    value_of: impl Fn(&str) -> Option<String>,
) -> String {
    let values: Vec<serde_json::Value> = parameters
        .iter()
        .map(|p| serde_json::json!([p, value_of(p)]))
        .collect();
    serde_json::json!([api, stage, method_key, values]).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hold_only_the_named_parameters() {
        let values = |p: &str| match p {
            "method.request.querystring.type" => Some("cat".to_string()),
            _ => None,
        };
        let plain = key("pets", "prod", "GET /pets/{id}", &[], values);
        assert_eq!(plain, r#"["pets","prod","GET /pets/{id}",[]]"#);
        let params = [
            "method.request.querystring.type".to_string(),
            "method.request.header.x".to_string(),
        ];
        let typed = key("pets", "prod", "GET /pets", &params, values);
        assert_eq!(
            typed,
            r#"["pets","prod","GET /pets",[["method.request.querystring.type","cat"],["method.request.header.x",null]]]"#
        );
        // A value cannot pass for the next parameter, and absent is not empty.
        let tricky = |p: &str| match p {
            "method.request.querystring.type" => {
                Some("cat\"],[\"method.request.header.x\",null".into())
            }
            _ => Some(String::new()),
        };
        assert_ne!(key("pets", "prod", "GET /pets", &params, tricky), typed);
    }

    #[test]
    fn answers_expire_with_their_ttl() {
        let cache = LocalResponses::default();
        let cached = Cached {
            status: 200,
            headers: Vec::new(),
            body: Bytes::from_static(b"x"),
        };
        cache.put("a".into(), cached.clone(), Duration::from_secs(60));
        cache.put("b".into(), cached, Duration::ZERO);
        assert_eq!(
            cache.get("a").map(|c| c.body),
            Some(Bytes::from_static(b"x"))
        );
        assert!(cache.get("b").is_none(), "a TTL of 0 keeps nothing");
        assert!(cache.get("c").is_none());
    }
}
