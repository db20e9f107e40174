//! WebSocket APIs (`protocol: websocket`): their route selection expression and routes.

use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use super::Compiler;
use crate::raw::RawApi;
use crate::websocket::{Selection, WebSocketApi, WebSocketRoute};
use crate::{Function, Profile};

impl Compiler {
    pub(super) fn websocket_api(
        &mut self,
        name: &Spanned<String>,
        raw: RawApi,
        functions: &BTreeMap<String, Function>,
        profile: Profile,
    ) -> Option<WebSocketApi> {
        let errors_before = self.diagnostics.len();
        let stages = self.stages(raw.stages, false);
        let not_here = [
            ("api_keys", !raw.api_keys.is_empty()),
            ("usage_plans", !raw.usage_plans.is_empty()),
            ("openapi", raw.openapi.is_some()),
            ("binary_media_types", !raw.binary_media_types.is_empty()),
            ("cognito_endpoint", raw.cognito_endpoint.is_some()),
            ("cors", raw.cors.is_some()),
            ("authorizers", !raw.authorizers.is_empty()),
        ];
        for (field, given) in not_here {
            if given {
                self.error(
                    name,
                    format!("`{field}` is not served on WebSocket APIs"),
                    "a WebSocket API has `route_selection`, `stages` and `routes` (`$connect`, `$disconnect`, `$default` and your own keys), each with its `function`",
                );
            }
        }
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
                ("authorizer", route.authorizer.is_some()),
                ("auth", route.auth.is_some()),
                ("throttle", route.throttle.is_some()),
                ("payload_format", route.payload_format.is_some()),
                ("timeout_ms", route.timeout_ms.is_some()),
                ("api_key_required", route.api_key_required),
                ("scopes", !route.scopes.is_empty()),
                ("request_parameters", !route.request_parameters.is_empty()),
                ("response_parameters", !route.response_parameters.is_empty()),
            ];
            for (field, given) in unserved {
                if given {
                    self.error(
                        &key,
                        format!("{what}: `{field}` is not served on WebSocket routes yet"),
                        "give the route `function:` (and `route_response: true` to send its answer back)",
                    );
                }
            }
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
            limits: profile.limits(),
        })
    }
}
