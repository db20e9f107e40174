//! Resolve: which function this request is for.

use portico_config::rest::RestApi;
use portico_config::{Api, FunctionRef, FunctionUrl, Route, RouteKey, Segment};
use portico_runtime::Runtime;

use crate::doors::rest::mapping::plan::{ApiPlan, MethodPlan};

/// The Function URL a request's host or path names (`hello`, or an alias's `hello:live`), and
/// the function it invokes as the config spells it: host names are case-insensitive, so
/// either part may come lower-cased.
pub fn function_url<'r>(
    runtime: &'r Runtime,
    named: &FunctionRef,
) -> Option<(FunctionRef, &'r FunctionUrl)> {
    let pool = runtime.pool(&named.name).or_else(|| {
        let names = runtime.pools().map(|p| p.function().name.as_str());
        runtime.pool(spelled(&named.name, names)?)
    })?;
    let f = pool.function();
    let alias = match named.qualifier.as_deref() {
        None => None,
        Some(alias) if f.aliases.contains_key(alias) => Some(alias),
        Some(alias) => Some(spelled(alias, f.aliases.keys().map(String::as_str))?),
    };
    let url = f.url_of(alias)?;
    let function = FunctionRef {
        name: f.name.clone(),
        qualifier: alias.map(str::to_string),
    };
    Some((function, url))
}

/// The name a request's host or path gives, as the config spells it, when it is not spelled
/// the same: host names are case-insensitive (browsers and curl lower-case them), so
/// `serverlessrestapi` finds the API `ServerlessRestApi`. Asked only after an exact miss.
pub fn spelled<'a>(name: &str, mut names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    names.find(|known| known.eq_ignore_ascii_case(name))
}

/// What an HTTP API request resolved to.
#[derive(Debug)]
pub struct ApiTarget<'a> {
    pub stage: &'a str,
    /// The path without the stage segment.
    pub route_path: String,
    pub stage_variables: &'a std::collections::BTreeMap<String, String>,
    pub route: &'a Route,
    pub path_parameters: Vec<(String, String)>,
}

/// An HTTP API request: the stage from the first path segment (or `$default`), then the
/// first route, in the API's order of specificity, that matches the method and the rest of
/// the path. `None` is API Gateway's 404.
pub fn http_api<'a>(api: &'a Api, method: &str, path: &str) -> Option<ApiTarget<'a>> {
    let (stage, route_path) = http_api_stage(api, path)?;
    let segments: Vec<&str> = if route_path.is_empty() {
        Vec::new()
    } else {
        route_path.split('/').collect()
    };
    api.routes.iter().find_map(|route| {
        let path_parameters = match &route.key {
            RouteKey::Default => Vec::new(),
            RouteKey::Path {
                method: m,
                segments: pattern,
                ..
            } => {
                if m.as_deref().is_some_and(|m| m != method) {
                    return None;
                }
                match_segments(pattern, &segments)?
            }
        };
        Some(ApiTarget {
            stage: stage.0,
            route_path: route_path.to_string(),
            stage_variables: &stage.1.variables,
            route,
            path_parameters,
        })
    })
}

/// What a REST API request resolved to.
pub struct RestTarget<'a> {
    pub stage: &'a str,
    /// The path without the stage segment, `/` first.
    pub resource_path: String,
    pub stage_variables: &'a std::collections::BTreeMap<String, String>,
    pub method: &'a portico_config::rest::Method,
    /// The method's compiled plan.
    pub plan: &'a MethodPlan,
    pub path_parameters: Vec<(String, String)>,
}

/// Why a REST API request resolved to nothing.
#[derive(Debug, PartialEq, Eq)]
pub enum RestMiss {
    /// The first path segment names no stage.
    NoStage,
    /// No resource and method match.
    NoMethod,
}

/// A REST API request: the stage from the first path segment (REST APIs have no
/// `$default`), then the first method, in the API's order of specificity, that matches the
/// method and the rest of the path.
pub fn rest_api<'a, 'p>(
    api: &'a RestApi,
    plan: &'a ApiPlan,
    method: &str,
    path: &'p str,
) -> Result<RestTarget<'a>, RestMiss> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let (first, rest) = trimmed.split_once('/').unwrap_or((trimmed, ""));
    let (stage, stage_def) = api.stages.get_key_value(first).ok_or(RestMiss::NoStage)?;
    let split = |rest: &'p str| -> Vec<&'p str> {
        if rest.is_empty() {
            Vec::new()
        } else {
            rest.split('/').collect()
        }
    };
    let segments = split(rest);
    // A trailing slash names the same resource (`/hello/` is `/hello`), as on AWS.
    let trimmed = rest.strip_suffix('/').map(split);
    let find = |segments: &[&str]| {
        api.methods.iter().zip(&plan.methods).find_map(|(m, plan)| {
            let RouteKey::Path {
                method: wanted,
                segments: pattern,
                ..
            } = &m.key
            else {
                return None;
            };
            if wanted.as_deref().is_some_and(|w| w != method) {
                return None;
            }
            let path_parameters = match_segments(pattern, segments)?;
            Some(RestTarget {
                stage,
                resource_path: format!("/{rest}"),
                stage_variables: &stage_def.variables,
                method: m,
                plan,
                path_parameters,
            })
        })
    };
    find(&segments)
        .or_else(|| trimmed.and_then(|t| find(&t)))
        .ok_or(RestMiss::NoMethod)
}

/// An HTTP API request's stage (its first path segment, or `$default`) and the path after it.
pub fn http_api_stage<'a, 'p>(
    api: &'a Api,
    path: &'p str,
) -> Option<((&'a String, &'a portico_config::Stage), &'p str)> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let (first, rest) = trimmed
        .split_once('/')
        .map_or((trimmed, ""), |(f, r)| (f, r));
    match api.stages.get_key_value(first) {
        Some((name, stage)) if name != "$default" => Some(((name, stage), rest)),
        _ => Some((api.stages.get_key_value("$default")?, trimmed)),
    }
}

/// The path parameters if `path` matches `pattern`.
fn match_segments(pattern: &[Segment], path: &[&str]) -> Option<Vec<(String, String)>> {
    let mut params = Vec::new();
    for (i, segment) in pattern.iter().enumerate() {
        match segment {
            Segment::Literal(literal) => {
                if path.get(i) != Some(&literal.as_str()) {
                    return None;
                }
            }
            Segment::Param(name) => {
                let value = path.get(i).filter(|v| !v.is_empty())?;
                params.push((name.clone(), value.to_string()));
            }
            Segment::Greedy(name) => {
                let rest = path
                    .get(i..)
                    .map(|r| r.join("/"))
                    .filter(|r| !r.is_empty())?;
                params.push((name.clone(), rest));
                return Some(params);
            }
        }
    }
    (pattern.len() == path.len()).then_some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_hosts_are_found_whatever_their_case() {
        let names = ["ServerlessRestApi", "shop"];
        assert_eq!(
            spelled("serverlessrestapi", names.into_iter()),
            Some("ServerlessRestApi")
        );
        assert_eq!(spelled("SHOP", names.into_iter()), Some("shop"));
        assert_eq!(spelled("other", names.into_iter()), None);
    }

    fn api(stages: &[&str], routes: &[&str]) -> Api {
        let mut routes: Vec<Route> = routes
            .iter()
            .map(|k| Route {
                key: RouteKey::parse(k).unwrap(),
                integration: portico_config::Integration::Lambda {
                    function: portico_config::FunctionRef::unqualified("f"),
                },
                throttle: None,
                payload_format: Default::default(),
                authorizer: None,
                timeout: None,
                scopes: Vec::new(),
                iam: false,
                invoke_mode: Default::default(),
                request_parameters: Vec::new(),
                response_parameters: Vec::new(),
            })
            .collect();
        routes.sort_by(|a, b| a.key.cmp_specificity(&b.key));
        Api {
            name: "shop".into(),
            stages: stages
                .iter()
                .map(|s| (s.to_string(), Default::default()))
                .collect(),
            routes,
            cors: None,
            authorizers: Default::default(),
            limits: portico_config::Limits::AWS,
        }
    }

    #[test]
    fn matches_routes_as_api_gateway_does() {
        let shop = api(
            &["$default", "prod"],
            &[
                "GET /pets/dog",
                "GET /pets/{id}",
                "GET /pets/{proxy+}",
                "ANY /{proxy+}",
                "POST /pets",
                "GET /",
                "$default",
            ],
        );
        // method, path, stage, route, path parameters
        type Row<'a> = (&'a str, &'a str, &'a str, &'a str, &'a [(&'a str, &'a str)]);
        let rows: &[Row] = &[
            ("GET", "/pets/dog", "$default", "GET /pets/dog", &[]),
            (
                "GET",
                "/pets/cat",
                "$default",
                "GET /pets/{id}",
                &[("id", "cat")],
            ),
            (
                "GET",
                "/pets/cat/1",
                "$default",
                "GET /pets/{proxy+}",
                &[("proxy", "cat/1")],
            ),
            (
                "DELETE",
                "/pets/cat",
                "$default",
                "ANY /{proxy+}",
                &[("proxy", "pets/cat")],
            ),
            ("POST", "/pets", "$default", "POST /pets", &[]),
            ("GET", "/", "$default", "GET /", &[]),
            ("GET", "/prod/pets/dog", "prod", "GET /pets/dog", &[]),
            ("GET", "/prod", "prod", "GET /", &[]),
            ("PUT", "/", "$default", "$default", &[]),
            (
                "GET",
                "/pets/",
                "$default",
                "ANY /{proxy+}",
                &[("proxy", "pets/")],
            ),
        ];
        for (method, path, stage, route, params) in rows {
            let got = http_api(&shop, method, path).unwrap_or_else(|| panic!("{method} {path}"));
            assert_eq!(
                (got.stage, got.route.key.text()),
                (*stage, *route),
                "{method} {path}"
            );
            let params: Vec<(String, String)> = params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!(got.path_parameters, params, "{method} {path}");
        }
    }

    #[test]
    fn no_match_is_none() {
        let named_only = api(&["prod"], &["GET /items"]);
        assert!(
            http_api(&named_only, "GET", "/items").is_none(),
            "no $default stage"
        );
        assert!(http_api(&named_only, "GET", "/dev/items").is_none());
        assert!(http_api(&named_only, "POST", "/prod/items").is_none());
        assert!(http_api(&named_only, "GET", "/prod/items").is_some());
    }
}
