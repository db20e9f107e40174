//! WebSocket APIs (`protocol: websocket`): their route selection expression and routes.

use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use super::Compiler;
use crate::raw::RawApi;
use crate::websocket::{Selection, WebSocketApi, WebSocketAuthorizer, WebSocketRoute};
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
            "a WebSocket API has `route_selection`, `stages`, `authorizers` and `routes` (`$connect`, `$disconnect`, `$default` and your own keys), each with its `function`",
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
                ("http", route.http.is_some()),
                ("auth", route.auth.is_some()),
                ("throttle", route.throttle.is_some()),
                ("payload_format", route.payload_format.is_some()),
                ("timeout_ms", route.timeout_ms.is_some()),
                ("api_key_required", route.api_key_required),
                ("scopes", !route.scopes.is_empty()),
                ("request_parameters", !route.request_parameters.is_empty()),
                ("response_parameters", !route.response_parameters.is_empty()),
            ];
            self.not_taken(
                &key,
                &unserved,
                |field| format!("{what}: `{field}` is not served on WebSocket routes yet"),
                "give the route `function:` (and `route_response: true` to send its answer back)",
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
            let Some(function) = &route.function else {
                self.error(
                    &key,
                    format!("{what} has no `function`"),
                    "give it `function: <name>`",
                );
                continue;
            };
            let function = self.invoked_function(function, &what, functions);
            routes.insert(
                key.value,
                WebSocketRoute {
                    function,
                    route_response: route.route_response,
                    authorizer: route.authorizer.map(|a| a.value),
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
