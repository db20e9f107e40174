//! The compile step for REST APIs (`protocol: rest`): stages, the `routes:` shorthand
//! (a function behind a Lambda proxy method, a URL behind an HTTP proxy method), checked
//! into the [`crate::rest`] model.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use serde_saphyr::Spanned;

use super::{Compiler, at};
use crate::raw::{RawApi, RawOpenApi, RawRoute};
use crate::rest::{
    ApiKey, ApiKeySource, Authorization, IntegrationKind, IntegrationResponse, Method, Origin,
    Passthrough, Quota, QuotaPeriod, RestApi, RestAuthorizerKind, RestIntegration, ServiceCall,
    ServiceOperation, UsagePlan,
};
use crate::{Function, FunctionRef, Profile, RouteKey};

/// How long a REST integration waits unless told otherwise (API Gateway's default).
pub const DEFAULT_REST_TIMEOUT_MS: u64 = 29_000;

impl Compiler {
    /// A route's `aws:`: its service and one of `action` or `path`.
    fn aws_service(
        &mut self,
        what: &str,
        aws: &Spanned<crate::raw::RawAwsService>,
    ) -> Option<IntegrationKind> {
        let raw = &aws.value;
        let operation = match (&raw.action, &raw.path) {
            (Some(action), None) => ServiceOperation::Action(action.value.clone()),
            (None, Some(path)) => {
                ServiceOperation::Path(path.value.trim_start_matches('/').to_string())
            }
            _ => {
                self.error(
                    aws,
                    format!("{what}: `aws` needs one of `action` or `path`"),
                    "write `aws: {service: dynamodb, action: PutItem}` or `aws: {service: s3, path: my-bucket/{key}}`",
                );
                return None;
            }
        };
        Some(IntegrationKind::AwsService(ServiceCall {
            service: raw.service.value.clone(),
            region: raw.region.as_ref().map(|r| r.value.clone()),
            operation,
            method: raw.method.as_ref().map(|m| m.value.to_ascii_uppercase()),
        }))
    }

    pub(crate) fn rest_api(
        &mut self,
        name: &Spanned<String>,
        raw: RawApi,
        functions: &BTreeMap<String, Function>,
        profile: Profile,
    ) -> Option<RestApi> {
        let errors_before = self.diagnostics.len();
        if raw.cors.is_some() {
            self.error(
                name,
                "`cors:` is for HTTP APIs",
                "a REST API answers preflights from an OPTIONS method of its own (a mock integration)",
            );
        }
        if let Some((crate::raw::Key(first), _)) = raw.authorizers.iter().next() {
            self.error(
                first,
                "REST API authorizers are not read from `portico.yaml` yet",
                "declare them in the API's OpenAPI document (`x-amazon-apigateway-authorizer`)",
            );
        }
        // Methods the stages' caches and the usage plans name, checked once the methods are known.
        let named: Vec<Spanned<String>> = raw
            .stages
            .iter()
            .flatten()
            .flat_map(|(_, stage)| stage.cache_methods.keys())
            .chain(
                raw.usage_plans
                    .values()
                    .flat_map(|p| p.method_throttles.keys()),
            )
            .map(|k| k.0.clone())
            .collect();
        let stages = self.stages(raw.stages, false);
        let limits = profile.limits();
        let api_keys = self.api_keys(raw.api_keys);
        let usage_plans = self.usage_plans(raw.usage_plans, &api_keys);
        let imported = raw
            .openapi
            .as_ref()
            .and_then(|source| self.openapi(source, functions, profile));
        let (line, column) = raw.openapi.as_ref().map_or(at(name), at);
        let origin = Origin {
            line,
            column,
            within: imported.as_ref().map(|(document, _)| document.clone()),
        };
        let mut api = RestApi {
            name: name.value.clone(),
            stages,
            methods: Vec::new(),
            authorizers: BTreeMap::new(),
            validators: BTreeMap::new(),
            models: BTreeMap::new(),
            api_key_source: ApiKeySource::Header,
            binary_media_types: raw.binary_media_types.clone(),
            gateway_responses: BTreeMap::new(),
            api_keys,
            usage_plans,
            limits,
            origin,
        };
        if let Some((_, mut imported)) = imported {
            if let Some(endpoint) = &raw.cognito_endpoint {
                self.web_url(endpoint);
                let base = endpoint.value.trim_end_matches('/');
                for authorizer in imported.authorizers.values_mut() {
                    if let RestAuthorizerKind::CognitoUserPools { issuers, .. } =
                        &mut authorizer.kind
                    {
                        for issuer in issuers.iter_mut() {
                            // `https://cognito-idp.<region>.amazonaws.com/<pool>` → `<endpoint>/<pool>`.
                            let pool = issuer.rsplit('/').next().unwrap_or_default().to_string();
                            *issuer = format!("{base}/{pool}");
                        }
                    }
                }
            }
            api.methods = imported.methods;
            api.authorizers = imported.authorizers;
            api.validators = imported.validators;
            api.models = imported.models;
            api.api_key_source = imported.api_key_source;
            api.binary_media_types.extend(imported.binary_media_types);
            api.gateway_responses = imported.gateway_responses;
        }
        // Routes with errors of their own, which what names them is not told again.
        let mut broken_routes = Vec::new();
        for (crate::raw::Key(key), route) in raw.routes {
            let Some(method) = self.rest_route(&key, route, functions, profile) else {
                broken_routes.push(key.value);
                continue;
            };
            if api
                .methods
                .iter()
                .any(|m| m.key.text() == method.key.text())
            {
                self.error(
                    &key,
                    format!("route `{}` is also in the OpenAPI document", key.value),
                    "declare each method once: in `routes:` or in the document",
                );
            }
            api.methods.push(method);
        }
        api.methods
            .sort_by(|a: &Method, b: &Method| a.key.cmp_specificity(&b.key));
        for method in &named {
            if !api.methods.iter().any(|m| m.key.text() == method.value)
                && !broken_routes.contains(&method.value)
            {
                let known: Vec<&str> = api.methods.iter().map(|m| m.key.text()).collect();
                let help = crate::diagnostics::did_you_mean(&method.value, known.iter().copied())
                    .map(|k| format!("did you mean `{k}`?"))
                    .unwrap_or_else(|| format!("this API's methods: {}", known.join(", ")));
                self.error(
                    method,
                    format!("`{}` is not a method of this API", method.value),
                    help,
                );
            }
        }
        if self.diagnostics.len() > errors_before {
            return None;
        }
        Some(api)
    }

    /// The methods and settings of the OpenAPI document at `source` (a file relative to the
    /// config file, or the document in place). Its problems are reported at the `openapi:`
    /// line with their JSON pointers; what Portico does not serve becomes a start-up warning.
    fn openapi(
        &mut self,
        source: &Spanned<RawOpenApi>,
        functions: &BTreeMap<String, Function>,
        profile: Profile,
    ) -> Option<(String, crate::openapi::Imported)> {
        let (name, document) = match &source.value {
            RawOpenApi::Document(document) => {
                ("openapi".to_string(), Value::Object(document.clone()))
            }
            RawOpenApi::File(path) => {
                let text = match std::fs::read_to_string(self.base.join(path)) {
                    Ok(text) => text,
                    Err(e) => {
                        self.error(
                            source,
                            format!("cannot read the OpenAPI document `{path}`: {e}"),
                            "the path is relative to this config file",
                        );
                        return None;
                    }
                };
                match crate::openapi::read(&text) {
                    Ok(document) => (path.clone(), document),
                    Err(problem) => {
                        self.error(
                            source,
                            format!("{path}: {}", problem.message),
                            problem.help.unwrap_or_default(),
                        );
                        return None;
                    }
                }
            }
        };
        let place = |pointer: &str| {
            if pointer.is_empty() {
                name.clone()
            } else {
                format!("{name}#{pointer}")
            }
        };
        let mut imported = match crate::openapi::import(&document, &|f| {
            let f = FunctionRef::parse(f);
            match functions.get(&f.name) {
                Some(function) => function.version_of(f.qualifier.as_deref()).is_some(),
                None => self.broken_functions.contains(&f.name),
            }
        }) {
            Ok(imported) => imported,
            Err(problems) => {
                for problem in problems {
                    self.error(
                        source,
                        format!("{}: {}", place(&problem.pointer), problem.message),
                        problem.help.unwrap_or_default(),
                    );
                }
                return None;
            }
        };
        for problem in &imported.unsupported {
            self.warnings.push(format!(
                "{}: {} (not served)",
                place(&problem.pointer),
                problem.message
            ));
        }
        for method in &imported.methods {
            let max = rest_timeout_max(profile, method.integration.stream);
            if let (Some(timeout), Some(max)) = (method.integration.timeout, max)
                && timeout.as_millis() > u128::from(max)
            {
                self.error(
                    source,
                    format!(
                        "{name}: {}'s timeoutInMillis is over {max} ms",
                        method.key.text()
                    ),
                    "lower it, or lift the limit with `limits: unbounded`",
                );
            }
        }
        let (line, column) = at(source);
        for method in &mut imported.methods {
            let pointer = method.origin.within.take().unwrap_or_default();
            method.origin = Origin {
                line,
                column,
                within: Some(format!("{name}{pointer}")),
            };
        }
        Some((name, imported))
    }

    /// One `routes:` entry of a REST API: `function:` (Lambda proxy) or `http:` (HTTP proxy).
    fn rest_route(
        &mut self,
        key: &Spanned<String>,
        route: RawRoute,
        functions: &BTreeMap<String, Function>,
        profile: Profile,
    ) -> Option<Method> {
        let http_only = [
            ("payload_format", route.payload_format.is_some()),
            ("authorizer", route.authorizer.is_some()),
            ("scopes", !route.scopes.is_empty()),
            ("request_parameters", !route.request_parameters.is_empty()),
            ("response_parameters", !route.response_parameters.is_empty()),
            ("throttle", route.throttle.is_some()),
            ("integration_subtype", route.integration_subtype.is_some()),
        ];
        self.not_taken(
            key,
            &route.websocket_only(),
            |field| format!("route `{}`: `{field}` is for WebSocket routes", key.value),
            "a REST method's MOCK integrations come from its OpenAPI document",
        );
        self.not_taken(
            key,
            &http_only,
            |field| format!("route `{}`: `{field}` is for HTTP API routes", key.value),
            "REST APIs take these from their OpenAPI document",
        );
        let parsed = match RouteKey::parse(&key.value) {
            Ok(RouteKey::Default) => {
                self.error(
                    key,
                    "REST APIs have no `$default` route",
                    "use a greedy resource, `ANY /{proxy+}`",
                );
                return None;
            }
            Ok(parsed) => parsed,
            Err(why) => {
                self.error(
                    key,
                    format!("route `{}`: {why}", key.value),
                    "write `GET /items/{id}` or `ANY /{proxy+}`",
                );
                return None;
            }
        };
        let what = format!("route `{}`", key.value);
        let kind = match (&route.function, &route.http) {
            (None, None) if route.aws.is_some() => self.aws_service(&what, route.aws.as_ref()?)?,
            (Some(function), None) if route.aws.is_none() => IntegrationKind::AwsProxy {
                function: self.invoked_function(function, &what, functions),
            },
            (None, Some(url)) if route.aws.is_none() => {
                self.web_url(url);
                IntegrationKind::HttpProxy {
                    method: None,
                    url: url.value.clone(),
                }
            }
            _ => {
                self.error(
                    key,
                    format!("route `{}` needs one integration", key.value),
                    "give it `function: <name>`, `http: <url>` or `aws: {service, action}`, one of them",
                );
                return None;
            }
        };
        let authorization = match route.auth.as_ref().map(|a| a.value.as_str()) {
            None | Some("none") => Authorization::None,
            Some("aws_iam") => Authorization::Iam,
            Some(other) => {
                if let Some(place) = &route.auth {
                    self.error(place, format!("auth `{other}` is not one"), "use `aws_iam`");
                }
                Authorization::None
            }
        };
        let stream = route.invoke_mode == crate::InvokeMode::ResponseStream;
        let timeout = self.rest_timeout(route.timeout_ms.as_ref(), profile, stream);
        Some(Method {
            key: parsed,
            authorization,
            api_key_required: route.api_key_required,
            validator: None,
            request_parameters: BTreeMap::new(),
            request_models: BTreeMap::new(),
            integration: RestIntegration {
                responses: match kind {
                    IntegrationKind::AwsService(_) => IntegrationResponse::of_a_service(),
                    _ => vec![IntegrationResponse::passthrough()],
                },
                kind,
                request_parameters: Vec::new(),
                request_templates: BTreeMap::new(),
                passthrough: Passthrough::WhenNoMatch,
                content_handling: None,
                timeout,
                cache_key_parameters: Vec::new(),
                stream,
            },
            origin: {
                let (line, column) = at(key);
                Origin {
                    line,
                    column,
                    within: None,
                }
            },
        })
    }

    fn api_keys(
        &mut self,
        raw: BTreeMap<crate::raw::Key, crate::raw::RawApiKey>,
    ) -> BTreeMap<String, ApiKey> {
        let mut keys = BTreeMap::new();
        for (crate::raw::Key(name), key) in raw {
            let (value, generated) = match &key.value {
                // 40 hex digits, as `openssl rand -hex 20` would make.
                None => {
                    let value = uuid::Uuid::new_v4().simple().to_string()
                        + &uuid::Uuid::new_v4().simple().to_string()[..8];
                    (value, true)
                }
                Some(given) => {
                    let Some(value) = self.env_value(given, "the key") else {
                        continue;
                    };
                    let printable = value.bytes().all(|b| b.is_ascii_graphic());
                    if !(20..=128).contains(&value.len()) || !printable {
                        self.error(
                            given,
                            format!(
                                "API key `{}` is not 20 to 128 printable characters",
                                name.value
                            ),
                            "API Gateway's keys are 20 to 128 characters, e.g. from `openssl rand -hex 20`, or leave `value` out for Portico to make one",
                        );
                    }
                    (value, false)
                }
            };
            keys.insert(
                name.value.clone(),
                ApiKey {
                    name: name.value,
                    value,
                    generated,
                },
            );
        }
        keys
    }

    fn usage_plans(
        &mut self,
        raw: BTreeMap<crate::raw::Key, crate::raw::RawUsagePlan>,
        keys: &BTreeMap<String, ApiKey>,
    ) -> BTreeMap<String, UsagePlan> {
        let mut plans = BTreeMap::new();
        for (crate::raw::Key(name), plan) in raw {
            for key in &plan.keys {
                if !keys.contains_key(&key.value) {
                    let known: Vec<&str> = keys.keys().map(String::as_str).collect();
                    self.error(
                        key,
                        format!(
                            "usage plan `{}` lists `{}`, which is not an API key here",
                            name.value, key.value
                        ),
                        format!(
                            "declare it under `api_keys:`; this API has: {}",
                            if known.is_empty() {
                                "none".to_string()
                            } else {
                                known.join(", ")
                            }
                        ),
                    );
                }
            }
            let quota = plan.quota.map(|q| {
                let (period, max_offset) = match q.period.value.to_ascii_uppercase().as_str() {
                    "DAY" => (QuotaPeriod::Day, 0),
                    "WEEK" => (QuotaPeriod::Week, 6),
                    "MONTH" => (QuotaPeriod::Month, 27),
                    other => {
                        self.error(
                            &q.period,
                            format!("quota period `{other}` is not DAY, WEEK or MONTH"),
                            "write `period: DAY`, `WEEK` or `MONTH`",
                        );
                        (QuotaPeriod::Day, 0)
                    }
                };
                let offset = self.ranged(&q.offset, 0, 0, max_offset, "offset", "days");
                Quota {
                    limit: q.limit.value,
                    period,
                    offset,
                }
            });
            let throttle = plan.throttle.map(|t| self.throttle(t));
            let mut method_throttles = BTreeMap::new();
            for (crate::raw::Key(method), limit) in plan.method_throttles {
                if let Err(why) = RouteKey::parse(&method.value) {
                    self.error(
                        &method,
                        format!("`{}` is not a method: {why}", method.value),
                        "name a method as its route, e.g. `GET /pets/{id}`",
                    );
                }
                let limit = self.throttle(limit);
                method_throttles.insert(method.value, limit);
            }
            plans.insert(
                name.value.clone(),
                UsagePlan {
                    name: name.value,
                    throttle,
                    method_throttles,
                    quota,
                    keys: plan.keys.into_iter().map(|k| k.value).collect(),
                },
            );
        }
        plans
    }

    /// A REST integration's timeout: `timeout_ms` (50 ms up to the profile's maximum), else
    /// 29 s; without a maximum and without `timeout_ms`, none.
    pub(crate) fn rest_timeout(
        &mut self,
        given: Option<&Spanned<u64>>,
        profile: Profile,
        stream: bool,
    ) -> Option<Duration> {
        let max = rest_timeout_max(profile, stream);
        let ms = match (given, max) {
            (Some(t), max) => self.ranged(
                &Some(t.clone()),
                DEFAULT_REST_TIMEOUT_MS,
                50,
                max.unwrap_or(u64::MAX),
                "timeout_ms",
                "milliseconds",
            ),
            (None, Some(_)) => DEFAULT_REST_TIMEOUT_MS,
            (None, None) => return None,
        };
        Some(Duration::from_millis(ms))
    }
}

/// The longest a REST integration may wait under `profile`: the profile's maximum, or
/// 15 minutes for a streaming integration, as API Gateway allows.
fn rest_timeout_max(profile: Profile, stream: bool) -> Option<u64> {
    let max = profile.limits().rest_timeout_ms;
    if stream {
        max.map(|m| m.max(900_000))
    } else {
        max
    }
}

impl IntegrationResponse {
    /// The one response of a proxy integration: whatever the backend answered, as it is.
    /// What an `aws:` route answers with: the service's answer and content type, with
    /// 400 for its 4xx, 500 for its 5xx, 200 otherwise (REST's integration responses pick
    /// statuses by pattern; an OpenAPI document names others).
    pub fn of_a_service() -> Vec<IntegrationResponse> {
        let content_type = vec![(
            "method.response.header.Content-Type".to_string(),
            "integration.response.header.Content-Type".to_string(),
        )];
        [(Some("4\\d{2}"), 400), (Some("5\\d{2}"), 500), (None, 200)]
            .into_iter()
            .map(|(pattern, status)| IntegrationResponse {
                pattern: pattern.map(str::to_string),
                status,
                parameters: content_type.clone(),
                templates: BTreeMap::new(),
                content_handling: None,
            })
            .collect()
    }

    pub fn passthrough() -> IntegrationResponse {
        IntegrationResponse {
            pattern: None,
            status: 200,
            parameters: Vec::new(),
            templates: BTreeMap::new(),
            content_handling: None,
        }
    }
}
