//! HTTP APIs (`protocol: http`): their routes, integrations and timeouts, and CORS (also a
//! Function URL's).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_saphyr::Spanned;

use super::Compiler;
use crate::raw::{RawApi, RawCors};
use crate::{
    Api, Cors, Function, FunctionRef, Integration, MappingValue, PayloadFormat, Profile, Route,
    RouteKey, ServiceAction, Subtype,
};

const MAX_CORS_MAX_AGE: u32 = 86400;

impl Compiler {
    pub(super) fn api(
        &mut self,
        name: &Spanned<String>,
        mut raw: RawApi,
        functions: &BTreeMap<String, Function>,
        profile: Profile,
    ) -> Option<Api> {
        let errors_before = self.diagnostics.len();
        let stages = self.stages(raw.stages.take(), true);
        self.not_taken(
            name,
            &raw.rest_only(),
            |field| format!("`{field}` is for REST APIs"),
            "HTTP APIs have no API keys or OpenAPI imports here; use `protocol: rest`",
        );
        let mut authorizers = BTreeMap::new();
        for (crate::raw::Key(auth_name), raw_auth) in raw.authorizers {
            if let Some(authorizer) = self.authorizer(&auth_name, raw_auth, functions) {
                authorizers.insert(auth_name.value, authorizer);
            }
        }
        let mut routes = Vec::new();
        for (crate::raw::Key(key), route) in raw.routes {
            self.not_taken(
                &key,
                &route.websocket_only(),
                |field| format!("route `{}`: `{field}` is for WebSocket routes", key.value),
                "an HTTP API route answers with its integration's response",
            );
            self.not_taken(
                &key,
                &route.rest_only(),
                |field| format!("route `{}`: `{field}` is for REST API routes", key.value),
                "an HTTP API route calls an AWS service with `integration_subtype`",
            );
            if route.api_key_required {
                self.error(
                    &key,
                    format!("route `{}`: `api_key_required` is for REST APIs", key.value),
                    "HTTP APIs have no API keys; use an authorizer, or `protocol: rest`",
                );
            }
            if let Some(name) = &route.authorizer
                && !authorizers.contains_key(&name.value)
            {
                let names: Vec<&str> = authorizers.keys().map(String::as_str).collect();
                self.error(
                    name,
                    format!(
                        "route `{}` names the authorizer `{}`, which this API does not declare",
                        key.value, name.value
                    ),
                    format!(
                        "declare it under `authorizers:`; this API has: {}",
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    ),
                );
            }
            let integration = match (&route.function, &route.http) {
                (None, None) if route.integration_subtype.is_some() => {
                    match self.service_action(&key, &route) {
                        Some(action) => Integration::Service(action),
                        None => continue,
                    }
                }
                (Some(function), None) if route.integration_subtype.is_none() => {
                    let function = self.invoked_function(
                        function,
                        &format!("route `{}`", key.value),
                        functions,
                    );
                    Integration::Lambda { function }
                }
                (None, Some(url)) if route.integration_subtype.is_none() => {
                    self.web_url(url);
                    Integration::Http {
                        url: url.value.clone(),
                    }
                }
                _ => {
                    self.error(
                        &key,
                        format!("route `{}` needs one integration", key.value),
                        "give it `function: <name>`, `http: <url>` or `integration_subtype: <subtype>`, one of them",
                    );
                    Integration::Lambda {
                        function: FunctionRef::default(),
                    }
                }
            };
            let timeout = self.route_timeout(&route, functions, profile);
            let request_parameters = match &integration {
                // A service action's parameters are its own.
                Integration::Service(_) => Vec::new(),
                _ => self.request_parameters(&route),
            };
            let response_parameters = self.response_parameters(&route);
            match RouteKey::parse(&key.value) {
                Ok(parsed) => routes.push(Route {
                    key: parsed,
                    integration,
                    throttle: route.throttle.map(|t| self.throttle(t)),
                    authorizer: route.authorizer.as_ref().map(|a| a.value.clone()),
                    timeout,
                    scopes: route.scopes.clone(),
                    invoke_mode: route.invoke_mode,
                    request_parameters,
                    response_parameters,
                    iam: match route.auth.as_ref().map(|a| a.value.as_str()) {
                        None | Some("none") => false,
                        Some("aws_iam") => true,
                        Some(other) => {
                            if let Some(place) = &route.auth {
                                self.error(
                                    place,
                                    format!("auth `{other}` is not one"),
                                    "use `aws_iam` (or an `authorizer:`)",
                                );
                            }
                            false
                        }
                    },
                    payload_format: match route.payload_format.as_ref().map(|f| f.value.as_str()) {
                        None | Some("2.0") => PayloadFormat::V2,
                        Some("1.0") => PayloadFormat::V1,
                        Some(other) => {
                            if let Some(place) = &route.payload_format {
                                self.error(
                                    place,
                                    format!("payload_format `{other}` is not one"),
                                    "use \"2.0\" or \"1.0\" (quoted)",
                                );
                            }
                            PayloadFormat::V2
                        }
                    },
                }),
                Err(why) => self.error(
                    &key,
                    format!("route `{}`: {why}", key.value),
                    "write `GET /items/{id}`, `ANY /{proxy+}` or `$default`",
                ),
            }
        }
        routes.sort_by(|a: &Route, b: &Route| a.key.cmp_specificity(&b.key));
        if self.diagnostics.len() > errors_before {
            return None;
        }
        let cors = raw.cors.map(|c| self.cors(c));
        Some(Api {
            name: name.value.clone(),
            stages,
            routes,
            cors,
            authorizers,
            limits: profile.limits(),
        })
    }

    /// A route's integration timeout: `timeout_ms` within the profile's maximum, or the
    /// maximum itself; unbounded, no timeout of the API's own.
    fn route_timeout(
        &mut self,
        route: &crate::raw::RawRoute,
        functions: &BTreeMap<String, Function>,
        profile: Profile,
    ) -> Option<Duration> {
        let limits = route
            .function
            .as_ref()
            .and_then(|f| functions.get(&FunctionRef::parse(&f.value).name))
            .map(|f| f.limits)
            .unwrap_or_else(|| profile.limits());
        let max = limits.api_timeout_ms;
        let ms = match (&route.timeout_ms, max) {
            (Some(t), Some(max)) => {
                self.ranged(&Some(t.clone()), max, 50, max, "timeout_ms", "milliseconds")
            }
            (Some(t), None) => self.ranged(
                &Some(t.clone()),
                30_000,
                50,
                u64::MAX,
                "timeout_ms",
                "milliseconds",
            ),
            (None, Some(max)) => max,
            (None, None) => return None,
        };
        Some(Duration::from_millis(ms))
    }

    pub(super) fn cors(&mut self, raw: RawCors) -> Cors {
        let max_age = raw.max_age.map(|m| {
            if m.value > MAX_CORS_MAX_AGE {
                self.error(
                    &m,
                    format!("max_age {} is out of range", m.value),
                    format!("max_age is 0 to {MAX_CORS_MAX_AGE} seconds"),
                );
            }
            m.value
        });
        Cors {
            allow_origins: raw.allow_origins,
            allow_methods: raw
                .allow_methods
                .iter()
                .map(|m| m.to_ascii_uppercase())
                .collect(),
            allow_headers: raw.allow_headers,
            expose_headers: raw.expose_headers,
            allow_credentials: raw.allow_credentials,
            max_age,
        }
    }

    /// An AWS service integration (`integration_subtype`) and its parameters
    /// (`request_parameters`, by the subtype's parameter names): each it requires given,
    /// none it does not take.
    fn service_action(
        &mut self,
        key: &Spanned<String>,
        route: &crate::raw::RawRoute,
    ) -> Option<ServiceAction> {
        let written = route.integration_subtype.as_ref()?;
        let Some(subtype) = Subtype::parse(&written.value) else {
            let names: Vec<&str> = Subtype::ALL.iter().map(|s| s.name()).collect();
            self.error(
                written,
                format!(
                    "`{}` is not an integration subtype Portico serves",
                    written.value
                ),
                format!("use one of: {}", names.join(", ")),
            );
            return None;
        };
        let (required, optional) = subtype.parameters();
        let mut parameters = Vec::new();
        for (crate::raw::Key(name), value) in &route.request_parameters {
            if !required.contains(&name.value.as_str()) && !optional.contains(&name.value.as_str())
            {
                self.error(
                    name,
                    format!("{} takes no parameter `{}`", subtype.name(), name.value),
                    format!(
                        "it takes {}",
                        required
                            .iter()
                            .chain(optional)
                            .copied()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                continue;
            }
            match MappingValue::parse(value) {
                Ok(parsed) => parameters.push((name.value.clone(), parsed)),
                Err(why) => self.error(
                    name,
                    format!("{} parameter `{}`: {why}", subtype.name(), name.value),
                    "write static text, or `$request.body.<field>`, `$request.header.<name>`, `$request.querystring.<name>`, `$request.path.<name>`, `$context.<variable>`, `$stageVariables.<name>`",
                ),
            }
        }
        let missing: Vec<&str> = required
            .iter()
            .filter(|r| !route.request_parameters.keys().any(|k| k.0.value == **r))
            .copied()
            .collect();
        if !missing.is_empty() {
            self.error(
                key,
                format!(
                    "route `{}`: {} needs {}",
                    key.value,
                    subtype.name(),
                    missing.join(", ")
                ),
                format!(
                    "map each under `request_parameters`, e.g. `{}: $request.body.{}`",
                    missing[0],
                    missing[0].to_ascii_lowercase()
                ),
            );
            return None;
        }
        Some(ServiceAction {
            subtype,
            parameters,
        })
    }
}
