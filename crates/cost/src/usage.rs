//! The traffic Portico has served, as its admin listener reports it at `GET /usage`.

use serde::{Deserialize, Serialize};

/// What `GET /usage` answers: every route that has had traffic since Portico started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// How long Portico has been serving, in seconds.
    pub window_seconds: f64,
    pub routes: Vec<RouteUsage>,
}

/// One route's traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteUsage {
    /// `url:<function>` (Function URL), `api:<name>` (HTTP API), `rest:<name>` (REST API) or
    /// `lambda` (the Invoke API).
    pub target: String,
    /// The API's stage; empty for Function URLs.
    #[serde(default)]
    pub stage: String,
    /// The route key or REST method (`GET /pets/{id}`); empty for Function URLs.
    #[serde(default)]
    pub route: String,
    /// The function that answered; `None` when none did (HTTP proxy, mock).
    pub function: Option<String>,
    /// That function's configured memory, in MB.
    pub memory_mb: Option<u64>,
    pub requests: u64,
    /// The requests that invoked the function (a request refused before, by an authorizer,
    /// a throttle or a size limit, or answered by a stage cache, invokes nothing).
    #[serde(default)]
    pub invocations: u64,
    /// Request body bytes, summed over the requests.
    pub request_bytes: u64,
    pub max_request_bytes: u64,
    /// Response body bytes, summed over the requests.
    pub response_bytes: u64,
    pub max_response_bytes: u64,
    /// The sum over the route's invocations of the integration time rounded up to whole ms.
    pub billed_ms: u64,
    /// The slowest request, end to end, in milliseconds.
    pub max_latency_ms: f64,
}

impl RouteUsage {
    /// Whether this is Invoke API traffic (Lambda only, whatever the front).
    pub fn is_invoke_api(&self) -> bool {
        self.target == "lambda"
    }

    /// `target stage route`, without the empty parts.
    pub fn name(&self) -> String {
        route_name(&self.target, &self.stage, &self.route)
    }
}

/// `target stage route`, without the empty parts.
pub(crate) fn route_name(target: &str, stage: &str, route: &str) -> String {
    [target, stage, route]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_admin_listeners_answer() {
        let text = r#"{"window_seconds": 123.4,
          "routes": [
            {"target": "url:hello", "stage": "", "route": "", "function": "hello", "memory_mb": 128,
             "requests": 10, "request_bytes": 1234, "max_request_bytes": 200,
             "response_bytes": 5678, "max_response_bytes": 900,
             "billed_ms": 20, "max_latency_ms": 35.2},
            {"target": "api:shop", "stage": "$default", "route": "GET /up", "function": null,
             "memory_mb": null, "requests": 1, "request_bytes": 0, "max_request_bytes": 0,
             "response_bytes": 2, "max_response_bytes": 2, "billed_ms": 0, "max_latency_ms": 1.0}
          ]}"#;
        let usage: Usage = serde_json::from_str(text).unwrap();
        assert_eq!(usage.window_seconds, 123.4);
        let hello = &usage.routes[0];
        assert_eq!(hello.function.as_deref(), Some("hello"));
        assert_eq!(
            (hello.memory_mb, hello.requests, hello.billed_ms),
            (Some(128), 10, 20)
        );
        assert_eq!(hello.name(), "url:hello");
        assert_eq!(usage.routes[1].function, None);
        assert_eq!(usage.routes[1].name(), "api:shop $default GET /up");
        // And back: the same names.
        let again: Usage = serde_json::from_value(serde_json::to_value(&usage).unwrap()).unwrap();
        assert_eq!(again, usage);
    }
}
