//! Which front door a request is for, by host and path, and the list of URLs served.

use std::net::SocketAddr;

use portico_config::Config;
use portico_config::websocket::CONNECT;
use portico_observe::{Declared, FunctionUse, RouteId, Target};

/// The Function URL host suffix, as in `hello.lambda-url.localhost` (and an alias's,
/// `live.hello.lambda-url.localhost`).
pub const URL_HOST_LABEL: &str = ".lambda-url.";
/// The API host suffix, as in `shop.execute-api.localhost`.
pub const API_HOST_LABEL: &str = ".execute-api.";
/// The API path form, as in `/execute-api/shop/prod/items`.
pub const API_PATH_PREFIX: &str = "/execute-api/";
/// The Function URL path form, as in `/lambda-url/hello/any/path` (and an alias's,
/// `/lambda-url/hello:live/any/path`).
pub const URL_PATH_PREFIX: &str = "/lambda-url/";
/// Every Lambda API path starts with a version date: Invoke is under this one...
pub const LAMBDA_API_PREFIX: &str = "/2015-03-31/";
/// ...and InvokeWithResponseStream under this one.
pub const LAMBDA_STREAMING_API_PREFIX: &str = "/2021-11-15/";

/// A front door and what it needs to know from the request line.
#[derive(Debug, PartialEq, Eq)]
pub enum Door<'a> {
    FunctionUrl {
        function: &'a str,
        /// The alias whose URL it is, if not `$LATEST`'s.
        alias: Option<&'a str>,
        path: String,
    },
    /// An HTTP API or a REST API: which one, the gateway knows (`Gateway::api_door`).
    Api {
        api: &'a str,
        path: String,
    },
    InvokeApi,
    /// A WebSocket API's management API on Portico's own address (`/@connections/<id>`,
    /// `/<stage>/@connections/<id>`): the connection id says which API.
    Connections,
    NotFound,
}

/// Picks the door for a request to `host` (the `Host` header) and `path`.
pub fn door<'a>(host: Option<&'a str>, path: &'a str) -> Door<'a> {
    if let Some(host) = host {
        let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
        if let Some((name, _)) = host.split_once(URL_HOST_LABEL)
            && !name.is_empty()
        {
            let (alias, function) = match name.split_once('.') {
                Some((alias, function)) => (Some(alias), function),
                None => (None, name),
            };
            return Door::FunctionUrl {
                function,
                alias,
                path: path.to_string(),
            };
        }
        if let Some((api, _)) = host.split_once(API_HOST_LABEL)
            && !api.is_empty()
        {
            return Door::Api {
                api,
                path: path.to_string(),
            };
        }
    }
    if let Some(rest) = path.strip_prefix(API_PATH_PREFIX) {
        let (api, tail) = rest.split_once('/').map_or((rest, ""), |(a, t)| (a, t));
        if !api.is_empty() {
            return Door::Api {
                api,
                path: format!("/{tail}"),
            };
        }
    }
    if let Some(rest) = path.strip_prefix(URL_PATH_PREFIX) {
        let (name, tail) = rest.split_once('/').map_or((rest, ""), |(f, t)| (f, t));
        if !name.is_empty() {
            let (function, alias) = match name.split_once(':') {
                Some((function, alias)) => (function, Some(alias)),
                None => (name, None),
            };
            return Door::FunctionUrl {
                function,
                alias,
                path: format!("/{tail}"),
            };
        }
    }
    if path.starts_with(LAMBDA_API_PREFIX) || path.starts_with(LAMBDA_STREAMING_API_PREFIX) {
        return Door::InvokeApi;
    }
    if path.contains("/@connections/") || path.contains("/%40connections/") {
        return Door::Connections;
    }
    Door::NotFound
}

/// One URL Portico serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub kind: &'static str,
    pub function: String,
    pub url: String,
}

/// One thing Portico serves: a Function URL, an API route on a stage, or a function on the
/// Invoke API.
struct Served {
    kind: &'static str,
    /// What it is, as printed: the function, or `<api> <method> → <integration>`.
    label: String,
    /// The host form (`hello.lambda-url.localhost:3000`), where there is one.
    host_url: Option<String>,
    /// The path form, on the listener's address.
    url: String,
    /// How the record phase labels its requests.
    id: RouteId,
    /// The function it invokes, if it invokes one.
    function: Option<FunctionUse>,
}

/// Everything `config` serves on `addr`, in the order it is printed.
fn served(config: &Config, addr: SocketAddr) -> Vec<Served> {
    use portico_config::rest::IntegrationKind;
    let port = addr.port();
    let function = |name: &str| function_use(config, name);
    let id = |target: Target, stage: &str, route: &str| RouteId {
        target,
        stage: stage.to_string(),
        route: route.to_string(),
    };
    let mut served = Vec::new();
    for (name, f) in &config.functions {
        for (alias, url) in f.urls() {
            let (label, host) = match alias {
                None => (name.clone(), name.clone()),
                Some(alias) => (format!("{name}:{alias}"), format!("{alias}.{name}")),
            };
            served.push(Served {
                kind: match url.invoke_mode {
                    portico_config::InvokeMode::Buffered => "Function URL",
                    portico_config::InvokeMode::ResponseStream => "Function URL (stream)",
                },
                host_url: Some(format!("http://{host}.lambda-url.localhost:{port}/")),
                url: format!("http://{addr}{URL_PATH_PREFIX}{label}/"),
                id: id(Target::function_url(&label), "", ""),
                label,
                function: function(name),
            });
        }
    }
    for (name, api) in &config.apis {
        for stage in api.stages.keys() {
            let prefix = stage_prefix(stage);
            for route in &api.routes {
                let (method, path) = route_path(&route.key);
                let (to, invokes) = match &route.integration {
                    portico_config::Integration::Lambda { function: f } => {
                        (f.to_string(), function(&f.name))
                    }
                    portico_config::Integration::Http { url } => (url.clone(), None),
                    portico_config::Integration::Service(action) => {
                        (action.subtype.name().to_string(), None)
                    }
                };
                served.push(Served {
                    kind: "HTTP API",
                    label: format!("{name} {method} → {to}"),
                    host_url: Some(format!(
                        "http://{name}.execute-api.localhost:{port}{prefix}{path}"
                    )),
                    url: format!("http://{addr}{API_PATH_PREFIX}{name}{prefix}{path}"),
                    id: id(Target::http_api(name), stage, route.key.text()),
                    function: invokes,
                });
            }
        }
    }
    for (name, api) in &config.rest_apis {
        for stage in api.stages.keys() {
            for method in &api.methods {
                let (verb, path) = method.key.text().split_once(' ').unwrap_or(("ANY", "/"));
                let kind = &method.integration.kind;
                let to = match kind {
                    IntegrationKind::HttpProxy { url, .. } | IntegrationKind::Http { url, .. } => {
                        url.clone()
                    }
                    IntegrationKind::AwsService(call) => format!("aws:{}", call.service),
                    kind => rest_function(kind).map_or("mock".into(), |f| f.to_string()),
                };
                served.push(Served {
                    kind: "REST API",
                    label: format!("{name} {verb} → {to}"),
                    host_url: Some(format!(
                        "http://{name}.execute-api.localhost:{port}/{stage}{path}"
                    )),
                    url: format!("http://{addr}{API_PATH_PREFIX}{name}/{stage}{path}"),
                    id: id(Target::rest_api(name), stage, method.key.text()),
                    function: rest_function(kind).and_then(|f| function(&f.name)),
                });
            }
        }
    }
    for (name, api) in &config.websocket_apis {
        for stage in api.stages.keys() {
            let routes: Vec<&str> = api.routes.keys().map(String::as_str).collect();
            served.push(Served {
                kind: "WebSocket API",
                label: format!("{name} {stage}: {}", routes.join(", ")),
                host_url: Some(format!("ws://{name}.execute-api.localhost:{port}/{stage}")),
                url: format!("ws://{addr}{API_PATH_PREFIX}{name}/{stage}"),
                id: id(Target::websocket_api(name), stage, "$connect"),
                function: api
                    .routes
                    .get(CONNECT)
                    .and_then(|r| function(&r.integration.function()?.name)),
            });
        }
    }
    for name in config.functions.keys() {
        served.push(Served {
            kind: "Invoke API",
            label: name.clone(),
            host_url: None,
            url: format!("http://{addr}{LAMBDA_API_PREFIX}functions/{name}/invocations"),
            id: id(Target::Invoke, "", name),
            function: function(name),
        });
    }
    served
}

/// Every URL Portico serves for `config` on `addr`, in the order they are printed.
pub fn routes(config: &Config, addr: SocketAddr) -> Vec<Route> {
    served(config, addr)
        .into_iter()
        .flat_map(|s| {
            let route = |url: String| Route {
                kind: s.kind,
                function: s.label.clone(),
                url,
            };
            s.host_url.map(route).into_iter().chain([route(s.url)])
        })
        .collect()
}

/// Every route of `config` as the record phase labels it, with its path-form URL on `addr`
/// and the function it invokes: what the dashboard lists before any traffic comes.
pub fn declared(config: &Config, addr: SocketAddr) -> Vec<Declared> {
    let mut declared: Vec<Declared> = served(config, addr)
        .into_iter()
        .map(|s| Declared {
            id: s.id,
            url: Some(s.url),
            function: s.function,
        })
        .collect();
    // A WebSocket API is served at one URL (its handshake, `$connect`); each other route
    // of it is recorded on its own.
    for (name, api) in &config.websocket_apis {
        for stage in api.stages.keys() {
            let others = api.routes.iter().filter(|(key, _)| *key != CONNECT);
            for (key, route) in others {
                declared.push(Declared {
                    id: RouteId {
                        target: Target::websocket_api(name),
                        stage: stage.clone(),
                        route: key.clone(),
                    },
                    url: None,
                    function: (route.integration.function())
                        .and_then(|f| function_use(config, &f.name)),
                });
            }
        }
    }
    declared
}

/// The function `name` of `config`, as records name it.
fn function_use(config: &Config, name: &str) -> Option<FunctionUse> {
    config.functions.get(name).map(|f| FunctionUse {
        name: name.to_string(),
        memory_mb: f.memory_mb,
    })
}

/// A stage's path prefix in an HTTP API's URL: none for `$default`.
fn stage_prefix(stage: &str) -> String {
    if stage == "$default" {
        String::new()
    } else {
        format!("/{stage}")
    }
}

/// An HTTP API route's method and a path to show for it.
fn route_path(key: &portico_config::RouteKey) -> (&str, String) {
    match key {
        portico_config::RouteKey::Default => ("ANY", "/*".to_string()),
        portico_config::RouteKey::Path { method, text, .. } => (
            method.as_deref().unwrap_or("ANY"),
            text.split_once(' ').map_or("/", |(_, p)| p).to_string(),
        ),
    }
}

/// The function a REST integration invokes, if it invokes one.
fn rest_function(
    kind: &portico_config::rest::IntegrationKind,
) -> Option<&portico_config::FunctionRef> {
    use portico_config::rest::IntegrationKind;
    match kind {
        IntegrationKind::AwsProxy { function } | IntegrationKind::Aws { function } => {
            Some(function)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_door_by_host_then_path() {
        let url = |f: &'static str, p: &str| Door::FunctionUrl {
            function: f,
            alias: None,
            path: p.to_string(),
        };
        let alias_url = |f: &'static str, a: &'static str, p: &str| Door::FunctionUrl {
            function: f,
            alias: Some(a),
            path: p.to_string(),
        };
        let rows: &[(Option<&str>, &str, Door)] = &[
            (
                Some("hello.lambda-url.localhost:3000"),
                "/a/b",
                url("hello", "/a/b"),
            ),
            (
                Some("hello.lambda-url.us-east-1.on.aws"),
                "/",
                url("hello", "/"),
            ),
            (
                Some("127.0.0.1:3000"),
                "/lambda-url/hello/a/b",
                url("hello", "/a/b"),
            ),
            (
                Some("127.0.0.1:3000"),
                "/lambda-url/hello",
                url("hello", "/"),
            ),
            (
                Some("127.0.0.1:3000"),
                "/lambda-url/hello/",
                url("hello", "/"),
            ),
            (
                Some("live.hello.lambda-url.localhost:3000"),
                "/a",
                alias_url("hello", "live", "/a"),
            ),
            (
                Some("127.0.0.1:3000"),
                "/lambda-url/hello:live/a",
                alias_url("hello", "live", "/a"),
            ),
            (None, "/lambda-url/", Door::NotFound),
            (
                Some("localhost"),
                "/2015-03-31/functions/hello/invocations",
                Door::InvokeApi,
            ),
            (Some("localhost"), "/", Door::NotFound),
            (
                Some("shop.execute-api.localhost:3000"),
                "/prod/items",
                Door::Api {
                    api: "shop",
                    path: "/prod/items".into(),
                },
            ),
            (
                Some("127.0.0.1"),
                "/execute-api/shop/items/1",
                Door::Api {
                    api: "shop",
                    path: "/items/1".into(),
                },
            ),
            (Some(".lambda-url.localhost"), "/", Door::NotFound),
        ];
        for (host, path, expected) in rows {
            assert_eq!(door(*host, path), *expected, "{host:?} {path}");
        }
    }
}
