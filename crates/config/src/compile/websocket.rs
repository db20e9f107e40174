//! WebSocket APIs (`protocol: websocket`): their route selection expression and routes.

use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use super::Compiler;
use crate::raw::RawApi;
use crate::websocket::{
    Mock, MockResponse, Parameter, ParameterSource, Selection, WebSocketApi, WebSocketAuthorizer,
    WebSocketIntegration, WebSocketRoute,
};
use crate::{Function, Profile};

impl Compiler {
    pub(super) fn websocket_api(
        &mut self,
        name: &Spanned<String>,
        mut raw: RawApi,
        functions: &BTreeMap<String, Function>,
        profile: Profile,
    ) -> Option<WebSocketApi> {
        let errors_before = self.diagnostics.len();
        for (crate::raw::Key(stage), raw_stage) in raw.stages.iter().flatten() {
            let unserved = [
                ("throttle", raw_stage.throttle.is_some()),
                ("cache_ttl", raw_stage.cache_ttl.is_some()),
                ("cache_methods", !raw_stage.cache_methods.is_empty()),
            ];
            self.not_taken(
                stage,
                &unserved,
                |field| {
                    format!(
                        "stage `{}`: `{field}` is not served on WebSocket APIs",
                        stage.value
                    )
                },
                "a WebSocket API's stage takes `variables` and `access_log`",
            );
        }
        let stages = self.stages(raw.stages.take(), false);
        let mut not_here = raw.rest_only().to_vec();
        not_here.push(("cors", raw.cors.is_some()));
        self.not_taken(
            name,
            &not_here,
            |field| format!("`{field}` is not served on WebSocket APIs"),
            "a WebSocket API has `route_selection`, `stages`, `authorizers` and `routes` (`$connect`, `$disconnect`, `$default` and your own keys), each with `function`, `http` or `mock`",
        );
        let route_selection = match &raw.route_selection {
            None => Selection::default(),
            Some(text) => match Selection::parse(&text.value) {
                Ok(selection) => selection,
                Err(why) => {
                    self.error(
                        text,
                        format!("route_selection: {why}"),
                        "write `$request.body.action` (the default), or `${request.body.a}/${request.body.b}`",
                    );
                    Selection::default()
                }
            },
        };
        let mut authorizers = BTreeMap::new();
        for (crate::raw::Key(auth_name), auth) in raw.authorizers {
            if let Some(authorizer) = self.websocket_authorizer(&auth_name, auth, functions) {
                authorizers.insert(auth_name.value, authorizer);
            }
        }
        let mut routes = BTreeMap::new();
        for (crate::raw::Key(key), route) in raw.routes {
            let what = format!("route `{}`", key.value);
            let builtin = [
                crate::websocket::CONNECT,
                crate::websocket::DISCONNECT,
                crate::websocket::DEFAULT,
            ];
            if key.value.starts_with('$') && !builtin.contains(&key.value.as_str()) {
                self.error(
                    &key,
                    format!("`{}` is not a route key of WebSocket APIs", key.value),
                    "the keys starting with `$` are $connect, $disconnect and $default; your own keys may not start with `$`",
                );
            }
            let unserved = [
                ("throttle", route.throttle.is_some()),
                ("payload_format", route.payload_format.is_some()),
                ("timeout_ms", route.timeout_ms.is_some()),
                ("api_key_required", route.api_key_required),
                ("scopes", !route.scopes.is_empty()),
                ("response_parameters", !route.response_parameters.is_empty()),
                ("integration_subtype", route.integration_subtype.is_some()),
                ("aws", route.aws.is_some()),
            ];
            self.not_taken(
                &key,
                &unserved,
                |field| format!("{what}: `{field}` is not served on WebSocket routes yet"),
                "give the route `function:`, `http:` or `mock:` (and `route_response: true` to send its answer back)",
            );
            if route.route_response
                && matches!(
                    key.value.as_str(),
                    crate::websocket::CONNECT | crate::websocket::DISCONNECT
                )
            {
                self.error(
                    &key,
                    format!("{what}: `route_response` is for message routes"),
                    "`$connect`'s answer decides whether the connection is accepted, and `$disconnect`'s is dropped, as on AWS",
                );
            }
            let iam = match route.auth.as_ref() {
                None => false,
                Some(auth) if key.value != crate::websocket::CONNECT => {
                    self.error(
                        auth,
                        format!("{what}: `auth` guards `$connect` only"),
                        "put `auth: aws_iam` on `$connect`: the signed handshake holds for the whole connection, as on AWS",
                    );
                    false
                }
                Some(auth) => match auth.value.as_str() {
                    "none" => false,
                    "aws_iam" if route.authorizer.is_some() => {
                        self.error(
                            auth,
                            format!("{what}: `auth: aws_iam` and an `authorizer` both"),
                            "a route is authorized one way: keep one of them",
                        );
                        false
                    }
                    "aws_iam" => true,
                    other => {
                        self.error(
                            auth,
                            format!("{what}: auth `{other}` is not one"),
                            "use `aws_iam` (or an `authorizer:`)",
                        );
                        false
                    }
                },
            };
            if let Some(authorizer) = &route.authorizer {
                if key.value != crate::websocket::CONNECT {
                    self.error(
                        authorizer,
                        format!("{what}: authorizers guard `$connect` only"),
                        "put `authorizer:` on `$connect`: its decision holds for the whole connection, as on AWS",
                    );
                } else if !authorizers.contains_key(&authorizer.value) {
                    let names: Vec<&str> = authorizers.keys().map(String::as_str).collect();
                    self.error(
                        authorizer,
                        format!(
                            "{what} names the authorizer `{}`, which this API does not declare",
                            authorizer.value
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
            }
            let Some(integration) = self.websocket_integration(&key, &what, &route, functions)
            else {
                continue;
            };
            routes.insert(
                key.value,
                WebSocketRoute {
                    integration,
                    route_response: route.route_response,
                    authorizer: route.authorizer.map(|a| a.value),
                    iam,
                },
            );
        }
        if self.diagnostics.len() > errors_before {
            return None;
        }
        Some(WebSocketApi {
            name: name.value.clone(),
            stages,
            route_selection,
            routes,
            authorizers,
            limits: profile.limits(),
        })
    }

    /// A route's one integration: `function` (Lambda proxy), `http` (HTTP proxy, with its
    /// `request_parameters`) or `mock`.
    fn websocket_integration(
        &mut self,
        key: &Spanned<String>,
        what: &str,
        route: &crate::raw::RawRoute,
        functions: &BTreeMap<String, Function>,
    ) -> Option<WebSocketIntegration> {
        if !route.request_parameters.is_empty() && route.http.is_none() {
            self.error(
                key,
                format!("{what}: `request_parameters` are for `http:` integrations"),
                "map `integration.request.header.<name>` of an `http:` route",
            );
        }
        match (&route.function, &route.http, &route.mock) {
            (Some(function), None, None) => Some(WebSocketIntegration::Lambda(
                self.invoked_function(function, what, functions),
            )),
            (None, Some(url), None) => {
                self.web_url(url);
                let mut parameters = Vec::new();
                for (crate::raw::Key(target), source) in &route.request_parameters {
                    let parsed = (
                        Parameter::parse(&target.value),
                        ParameterSource::parse(source),
                    );
                    match parsed {
                        (Some(parameter), Some(source)) => parameters.push((parameter, source)),
                        (None, _) => self.error(
                            target,
                            format!("{what}: `{}` is not an integration request parameter", target.value),
                            "write `integration.request.header.<name>` or `integration.request.querystring.<name>`",
                        ),
                        (_, None) => self.error(
                            target,
                            format!("{what}: `{source}` is not a mapping expression of WebSocket APIs"),
                            "write `context.connectionId`, `route.request.header.<name>`, `route.request.querystring.<name>`, `route.request.body.<field>`, `stageVariables.<name>` or `'text'`",
                        ),
                    }
                }
                Some(WebSocketIntegration::Http {
                    url: url.value.clone(),
                    parameters,
                })
            }
            (None, None, Some(mock)) => {
                let mut responses = Vec::new();
                for (crate::raw::Key(response_key), template) in &mock.value.responses {
                    let pattern = match response_key.value.as_str() {
                        "$default" => None,
                        text => match text.strip_prefix('/').and_then(|t| t.strip_suffix('/')) {
                            Some(pattern) if !pattern.is_empty() => Some(pattern.to_string()),
                            _ => {
                                self.error(
                                    response_key,
                                    format!("{what}: `{text}` is not an integration response key"),
                                    "write `$default`, or a pattern over the status code between slashes: `/2\\d\\d/`",
                                );
                                continue;
                            }
                        },
                    };
                    responses.push(MockResponse {
                        pattern,
                        template: Some(template.clone()).filter(|t| !t.is_empty()),
                    });
                }
                // A `$default` response is tried last, as API Gateway does.
                responses.sort_by_key(|r| r.pattern.is_none());
                Some(WebSocketIntegration::Mock(Mock {
                    request_template: mock
                        .value
                        .request_template
                        .as_ref()
                        .map_or_else(|| r#"{"statusCode": 200}"#.to_string(), |t| t.value.clone()),
                    responses,
                    at: super::at(mock),
                }))
            }
            _ => {
                self.error(
                    key,
                    format!("{what} needs one integration"),
                    "give it `function: <name>`, `http: <url>` or `mock: {}`, one of them",
                );
                None
            }
        }
    }

    /// A `$connect` authorizer: `type: lambda` with its `function` and `identity_source`
    /// (`route.request.header.<name>`, `route.request.querystring.<name>`, as WebSocket APIs
    /// write them, or the `$request.` forms).
    fn websocket_authorizer(
        &mut self,
        name: &Spanned<String>,
        raw: crate::raw::RawAuthorizer,
        functions: &BTreeMap<String, Function>,
    ) -> Option<WebSocketAuthorizer> {
        let what = format!("authorizer `{}`", name.value);
        if raw.kind.value != "lambda" {
            self.error(
                &raw.kind,
                format!("{what}: WebSocket APIs take Lambda REQUEST authorizers only"),
                "write `type: lambda` with its `function` and `identity_source`",
            );
            return None;
        }
        let unserved = [
            ("issuer", raw.issuer.is_some()),
            ("jwks_uri", raw.jwks_uri.is_some()),
            ("audience", !raw.audience.is_empty()),
            ("payload_format", raw.payload_format.is_some()),
            ("simple_responses", raw.simple_responses),
            ("ttl", raw.ttl.is_some()),
        ];
        self.not_taken(
            name,
            &unserved,
            |field| format!("{what}: `{field}` is not taken by WebSocket authorizers"),
            "a WebSocket authorizer answers with an IAM policy, and is asked at every $connect",
        );
        let Some(function) = &raw.function else {
            self.error(
                name,
                format!("{what} has no `function`"),
                "add `function: <name>`",
            );
            return None;
        };
        self.known_function(function, &what, functions);
        let mut identity_sources = Vec::new();
        for source in raw
            .identity_source
            .as_ref()
            .map(crate::raw::Sources::each)
            .unwrap_or_default()
        {
            let text = source
                .value
                .strip_prefix("route.")
                .map(|rest| format!("${rest}"))
                .unwrap_or_else(|| source.value.clone());
            match crate::IdentitySource::parse(&text) {
                Some(parsed) => identity_sources.push(parsed),
                None => self.error(
                    &source,
                    format!(
                        "`{}` is not an identity source of a WebSocket API",
                        source.value
                    ),
                    "write `route.request.header.<name>` or `route.request.querystring.<name>`",
                ),
            }
        }
        Some(WebSocketAuthorizer {
            function: function.value.clone(),
            identity_sources,
        })
    }
}
