//! A REST API compiled once, when the gateway is built: per method, what its requests are
//! checked against and mapped by (typed parameter sources, parsed templates, compiled
//! selection patterns and models, the integration's HTTP method), so that nothing is parsed
//! on the request path. A broken template, pattern or model stops Portico at start-up with
//! its config line, API, method and what is wrong.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use http::HeaderName;
use portico_config::Diagnostic;
use portico_config::rest::{
    ContentHandling, IntegrationKind, Method, Origin, Parameter, RestApi, RestAuthorizerKind,
    Source,
};
use portico_vtl::Template;

/// Every REST API's plan, by API name.
#[derive(Default)]
pub struct Plans {
    apis: HashMap<String, ApiPlan>,
}

/// One REST API's plan.
#[derive(Default)]
pub struct ApiPlan {
    /// The plan of each of the API's methods, in the API's order.
    pub methods: Vec<MethodPlan>,
    /// Customised gateway responses, by type (`ACCESS_DENIED`, `DEFAULT_4XX`, ...).
    pub gateway_responses: BTreeMap<String, GatewayResponsePlan>,
    /// Lambda authorizers' checks, by authorizer name.
    pub authorizers: BTreeMap<String, AuthorizerPlan>,
}

/// One method's plan.
#[derive(Default)]
pub struct MethodPlan {
    /// An HTTP integration's method; `None` passes the request's own.
    pub http_method: Option<http::Method>,
    /// `integration.request.<place>.<name>` ← its source.
    pub request_parameters: Vec<(Parameter, Source)>,
    /// Request templates by content type.
    pub request_templates: BTreeMap<String, Template>,
    /// Integration responses, in the order they are tried (the default last).
    pub responses: Vec<ResponsePlan>,
    /// The stage cache's key parameters: as written, and where their values are.
    pub cache_key: Vec<(String, Parameter)>,
    /// What the method's validator checks, if it has one.
    pub validator: Option<ValidatorPlan>,
}

/// A method's request validator.
#[derive(Default)]
pub struct ValidatorPlan {
    /// The required parameters, when the validator checks parameters.
    pub required: Vec<Parameter>,
    /// The body's model by content type, when it checks bodies.
    pub models: BTreeMap<String, Arc<jsonschema::Validator>>,
}

/// One integration response.
pub struct ResponsePlan {
    /// Matches the whole status code or Lambda `errorMessage`; `None` is the default.
    pub pattern: Option<regex::Regex>,
    pub status: u16,
    /// `method.response.header.<name>` ← its source.
    pub headers: Vec<(HeaderName, Source)>,
    /// Response templates by content type.
    pub templates: BTreeMap<String, Template>,
    pub content_handling: Option<ContentHandling>,
}

/// A customised gateway response.
pub struct GatewayResponsePlan {
    pub status: Option<u16>,
    /// `gatewayresponse.header.<name>` ← its source.
    pub headers: Vec<(HeaderName, Source)>,
    /// The body template (for `application/json`, else the first).
    pub template: Option<Template>,
}

/// What a Lambda authorizer checks before its function is asked.
#[derive(Default)]
pub struct AuthorizerPlan {
    /// A TOKEN authorizer's validation expression.
    pub validation: Option<regex::Regex>,
    /// A REQUEST authorizer's identity sources.
    pub identity: Vec<Source>,
}

impl Plans {
    /// Compiles every REST API; `Err` lists every problem, each at the line that declares
    /// what is wrong and naming its API and place.
    pub fn compile(apis: &BTreeMap<String, RestApi>) -> Result<Plans, Vec<Diagnostic>> {
        let mut errors = Vec::new();
        let plans = Plans {
            apis: apis
                .values()
                .map(|api| {
                    let mut problems = Problems {
                        api: &api.name,
                        origin: &api.origin,
                        errors: &mut errors,
                    };
                    (api.name.clone(), problems.api(api))
                })
                .collect(),
        };
        if errors.is_empty() {
            Ok(plans)
        } else {
            Err(errors)
        }
    }

    /// The plan of the REST API `name` (every API of the config has one).
    pub fn api(&self, name: &str) -> Option<&ApiPlan> {
        self.apis.get(name)
    }
}

/// The problems found while compiling one API.
struct Problems<'a> {
    api: &'a str,
    /// Where what is being compiled is declared: the API, or one of its methods.
    origin: &'a Origin,
    errors: &'a mut Vec<Diagnostic>,
}

impl Problems<'_> {
    fn error(&mut self, place: &str, what: impl std::fmt::Display) {
        let message = format!("REST API `{}`, {place}: {what}", self.api);
        self.errors.push(self.origin.diagnostic(message));
    }

    fn api(&mut self, api: &RestApi) -> ApiPlan {
        let models = self.models(api);
        let methods = api
            .methods
            .iter()
            .map(|method| {
                let mut problems = Problems {
                    api: self.api,
                    origin: &method.origin,
                    errors: self.errors,
                };
                problems.method(api, method, &models)
            })
            .collect();
        let gateway_responses = api
            .gateway_responses
            .iter()
            .map(|(kind, custom)| {
                let place = format!("gateway response {kind}");
                let text = custom
                    .templates
                    .get("application/json")
                    .or_else(|| custom.templates.values().next());
                let plan = GatewayResponsePlan {
                    status: custom.status,
                    headers: self.headers(&place, "gatewayresponse.header.", &custom.parameters),
                    template: text.and_then(|t| self.template(&place, "body", t)),
                };
                (kind.clone(), plan)
            })
            .collect();
        let authorizers = api
            .authorizers
            .iter()
            .map(|(name, authorizer)| {
                let place = format!("authorizer `{name}`");
                let plan = match &authorizer.kind {
                    RestAuthorizerKind::Token { validation, .. } => AuthorizerPlan {
                        validation: validation
                            .as_ref()
                            .and_then(|p| self.pattern(&place, "identityValidationExpression", p)),
                        identity: Vec::new(),
                    },
                    RestAuthorizerKind::Request {
                        identity_sources, ..
                    } => AuthorizerPlan {
                        validation: None,
                        identity: identity_sources
                            .iter()
                            .filter_map(|s| self.source(&place, s))
                            .collect(),
                    },
                    RestAuthorizerKind::CognitoUserPools { .. } => AuthorizerPlan::default(),
                };
                (name.clone(), plan)
            })
            .collect();
        ApiPlan {
            methods,
            gateway_responses,
            authorizers,
        }
    }

    /// Every model of the API, compiled (JSON Schema draft 4).
    fn models(&mut self, api: &RestApi) -> BTreeMap<String, Arc<jsonschema::Validator>> {
        let mut models = BTreeMap::new();
        for (name, schema) in &api.models {
            match jsonschema::draft4::new(schema) {
                Ok(validator) => {
                    models.insert(name.clone(), Arc::new(validator));
                }
                Err(e) => self.error(
                    &format!("model `{name}`"),
                    format!("not a JSON Schema (draft 4): {e}"),
                ),
            }
        }
        models
    }

    fn method(
        &mut self,
        api: &RestApi,
        method: &Method,
        models: &BTreeMap<String, Arc<jsonschema::Validator>>,
    ) -> MethodPlan {
        let place = method.key.text();
        let integration = &method.integration;
        let http_method = match &integration.kind {
            IntegrationKind::Http {
                method: Some(m), ..
            }
            | IntegrationKind::HttpProxy {
                method: Some(m), ..
            } => match http::Method::from_bytes(m.as_bytes()) {
                Ok(m) => Some(m),
                Err(_) => {
                    self.error(
                        place,
                        format!("the integration's httpMethod `{m}` is not a method"),
                    );
                    None
                }
            },
            _ => None,
        };
        let request_parameters = integration
            .request_parameters
            .iter()
            .filter_map(|(to, from)| {
                let Some(target) = Parameter::parse("integration.request.", to) else {
                    self.error(
                        place,
                        format!(
                            "`{to}` is not integration.request.<header|querystring|path>.<name>"
                        ),
                    );
                    return None;
                };
                Some((target, self.source(place, from)?))
            })
            .collect();
        let request_templates = integration
            .request_templates
            .iter()
            .filter_map(|(media, text)| {
                let template = self.template(place, &format!("request {media}"), text)?;
                Some((media.clone(), template))
            })
            .collect();
        let responses = integration
            .responses
            .iter()
            .map(|r| ResponsePlan {
                pattern: r
                    .pattern
                    .as_ref()
                    .and_then(|p| self.pattern(place, "selection pattern", p)),
                status: r.status,
                headers: self.headers(place, "method.response.header.", &r.parameters),
                templates: r
                    .templates
                    .iter()
                    .filter_map(|(media, text)| {
                        let which = format!("response {} {media}", r.status);
                        Some((media.clone(), self.template(place, &which, text)?))
                    })
                    .collect(),
                content_handling: r.content_handling,
            })
            .collect();
        let cache_key = integration
            .cache_key_parameters
            .iter()
            .filter_map(|p| Some((p.clone(), self.parameter(place, p)?)))
            .collect();
        let validator = method
            .validator
            .as_ref()
            .and_then(|v| api.validators.get(v))
            .map(|v| ValidatorPlan {
                required: match v.parameters {
                    true => method
                        .request_parameters
                        .iter()
                        .filter(|(_, required)| **required)
                        .filter_map(|(name, _)| self.parameter(place, name))
                        .collect(),
                    false => Vec::new(),
                },
                models: match v.body {
                    true => method
                        .request_models
                        .iter()
                        .filter_map(|(media, model)| {
                            Some((media.clone(), models.get(model)?.clone()))
                        })
                        .collect(),
                    false => BTreeMap::new(),
                },
            });
        MethodPlan {
            http_method,
            request_parameters,
            request_templates,
            responses,
            cache_key,
            validator,
        }
    }

    /// `<prefix><name>` ← source pairs as header names and sources; others are not headers
    /// and are left out.
    fn headers(
        &mut self,
        place: &str,
        prefix: &str,
        pairs: &[(String, String)],
    ) -> Vec<(HeaderName, Source)> {
        pairs
            .iter()
            .filter_map(|(to, from)| {
                let name = to.strip_prefix(prefix)?;
                let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
                    self.error(place, format!("`{name}` is not a header name"));
                    return None;
                };
                Some((name, self.source(place, from)?))
            })
            .collect()
    }

    fn source(&mut self, place: &str, text: &str) -> Option<Source> {
        let source = Source::parse(text);
        if source.is_none() {
            self.error(place, format!("`{text}` is not a mapping source"));
        }
        source
    }

    fn parameter(&mut self, place: &str, text: &str) -> Option<Parameter> {
        let parameter = Parameter::parse("method.request.", text);
        if parameter.is_none() {
            self.error(
                place,
                format!("`{text}` is not method.request.<header|querystring|path>.<name>"),
            );
        }
        parameter
    }

    fn template(&mut self, place: &str, which: &str, text: &str) -> Option<Template> {
        Template::parse(text)
            .map_err(|e| self.error(place, format!("the {which} template: {e}")))
            .ok()
    }

    /// Compiles `pattern` to match whole texts (Rust's regex syntax: no lookaround or
    /// backreferences, which Java's allow).
    fn pattern(&mut self, place: &str, what: &str, pattern: &str) -> Option<regex::Regex> {
        regex::Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|e| {
                self.error(
                    &format!("{place}: {what}"),
                    format!("`{pattern}` is not a regular expression Portico reads: {e}"),
                )
            })
            .ok()
    }
}
