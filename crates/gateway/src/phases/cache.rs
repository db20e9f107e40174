//! Cache: the stage cache of REST APIs (API caching), between validate and map. A stage
//! keeps the successful answers of its GET methods (`cache_ttl`) and of the methods it names
//! (`cache_methods`) for their TTL, keyed as API Gateway keys them: the method, the resource
//! (its template, not the path: path parameters count only when named in
//! `cacheKeyParameters`, as on AWS) and the cache key parameters' values. [`lookup`] answers
//! a cached method; [`keep`] stores a fresh answer. Behind a trait, so that several nodes can
//! later share one store.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Response};
use portico_config::rest::{Authorization, RestApi};

use crate::body::Body;
use crate::ctx::{Flow, RequestCtx};
use crate::phases::resolve::RestTarget;

/// Where a request's answer goes in the stage cache.
pub struct Slot {
    key: String,
    ttl: Duration,
}

/// The stage cache's slot for this request, if its stage caches its method (GET methods
/// with the stage's `cache_ttl`, any method named in `cache_methods`); a cached answer, unless
/// the caller asks for a fresh one, is the answer. `Cache-Control: max-age=0` skips the
/// cached answer (and refreshes it) only for a signed (IAM) request, as API Gateway requires
/// authorization to invalidate.
pub fn lookup(
    cache: &dyn ResponseCache,
    ctx: &mut RequestCtx,
    api: &RestApi,
    target: &RestTarget<'_>,
    slot: &mut Option<Slot>,
) -> Flow {
    let Some(stage) = api.stages.get(target.stage) else {
        return Flow::Continue;
    };
    // A method's own TTL, else the stage's for GET methods.
    let ttl = match stage.cache_methods.get(target.method.key.text()) {
        Some(ttl) => *ttl,
        None if ctx.method == http::Method::GET => match stage.cache_ttl {
            Some(ttl) => ttl,
            None => return Flow::Continue,
        },
        None => return Flow::Continue,
    };
    if ttl.is_zero() {
        return Flow::Continue;
    }
    // The request's HTTP method too: an `ANY` method's POST is not its DELETE.
    let values: Vec<(&str, Option<String>)> = target
        .plan
        .cache_key
        .iter()
        .map(|(text, p)| (text.as_str(), ctx.parameter(p, &target.path_parameters)))
        .collect();
    let method = format!("{} {}", ctx.method, target.method.key.text());
    let key = key(&api.name, target.stage, &method, &values);
    let refresh = ctx
        .header("cache-control")
        .is_some_and(|c| c.replace(' ', "").contains("max-age=0"))
        && target.method.authorization == Authorization::Iam;
    let cached = (!refresh).then(|| cache.get(&key)).flatten();
    ctx.cache_hit = Some(cached.is_some());
    *slot = Some(Slot { key, ttl });
    match cached {
        Some(cached) => Flow::Respond(cached.into_response()),
        None => Flow::Continue,
    }
}

/// Keeps a successful, whole answer in its slot (a streamed one is not kept).
pub fn keep(cache: &dyn ResponseCache, response: &Response<Body>, slot: Slot) {
    if !response.status().is_success() {
        return;
    }
    let Some(body) = response.body().whole() else {
        return;
    };
    // Not this request's own ids: a later caller gets its own.
    let headers = response
        .headers()
        .iter()
        .filter(|(n, _)| {
            *n != portico_events::invoke_api::TRACE_ID
                && *n != portico_events::invoke_api::REQUEST_ID
        })
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    let cached = Cached {
        status: response.status().as_u16(),
        headers,
        body,
    };
    cache.put(slot.key, cached, slot.ttl);
}

/// A cached answer.
#[derive(Debug, Clone)]
pub struct Cached {
    pub status: u16,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

impl Cached {
    /// The answer, as it was kept.
    pub fn into_response(self) -> Response<Body> {
        let mut response = Response::new(Body::full(self.body));
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
/// parameter (`method.request.querystring.q`, `.header.h`, `.path.p`, as written) with its
/// value, or none when absent. Written as a JSON array, so that no value can pass for another part.
pub fn key(
    api: &str,
    stage: &str,
    method_key: &str,
    parameters: &[(&str, Option<String>)],
) -> String {
    let values: Vec<serde_json::Value> = parameters
        .iter()
        .map(|(p, value)| serde_json::json!([p, value]))
        .collect();
    serde_json::json!([api, stage, method_key, values]).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hold_only_the_named_parameters() {
        let plain = key("pets", "prod", "GET /pets/{id}", &[]);
        assert_eq!(plain, r#"["pets","prod","GET /pets/{id}",[]]"#);
        let params = [
            ("method.request.querystring.type", Some("cat".to_string())),
            ("method.request.header.x", None),
        ];
        let typed = key("pets", "prod", "GET /pets", &params);
        assert_eq!(
            typed,
            r#"["pets","prod","GET /pets",[["method.request.querystring.type","cat"],["method.request.header.x",null]]]"#
        );
        // A value cannot pass for the next parameter, and absent is not empty.
        let tricky = [
            (
                "method.request.querystring.type",
                Some("cat\"],[\"method.request.header.x\",null".to_string()),
            ),
            ("method.request.header.x", Some(String::new())),
        ];
        assert_ne!(key("pets", "prod", "GET /pets", &tricky), typed);
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
