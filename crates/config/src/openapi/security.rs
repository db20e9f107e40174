//! Security schemes and what they make of a method: API keys, IAM, and Lambda and Cognito
//! authorizers (`x-amazon-apigateway-authorizer`), read into [`crate::rest`] authorizers.

use std::time::Duration;

use serde_json::{Map, Value};

use super::functions::{LAMBDA_URI_FORM, Target};
use super::{Importer, Problem, Ptr, Version, number, text};
use crate::diagnostics::{did_you_mean, suggestion};
use crate::rest::{Authorization, RestAuthorizer, RestAuthorizerKind};

/// What a security scheme means to API Gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Scheme {
    ApiKey,
    Iam,
    Authorizer {
        cognito: bool,
    },
    /// Reported already (unsupported, or broken).
    Ignored,
}

const AUTHORIZER_KEYS: &[&str] = &[
    "type",
    "authorizerUri",
    "authorizerCredentials",
    "identitySource",
    "identityValidationExpression",
    "authorizerResultTtlInSeconds",
    "providerARNs",
    "authorizerPayloadFormatVersion",
    "enableSimpleResponses",
    "jwtConfiguration",
];

impl Importer<'_> {
    pub(super) fn security_schemes(&mut self, top: &Map<String, Value>) {
        let keys = ("securityDefinitions", "securitySchemes");
        let Some((map, ptr)) = self.section(top, keys, ("security schemes", "schemes")) else {
            return;
        };
        for (name, v) in map {
            let scheme = self.scheme(name, v, &ptr.key(name));
            self.schemes.insert(name.clone(), scheme);
        }
    }

    fn scheme(&mut self, name: &str, v: &Value, ptr: &Ptr) -> Scheme {
        let Some(fields) = v.as_object() else {
            self.error(Problem::new(
                ptr,
                format!("security scheme `{name}` is not a mapping"),
            ));
            return Scheme::Ignored;
        };
        let authtype = fields.get("x-amazon-apigateway-authtype");
        if authtype.is_some() {
            // Free-form for Lambda authorizers; `awsSigv4` means IAM.
            self.handle(&ptr.key("x-amazon-apigateway-authtype"));
        }
        let kind = fields.get("type").and_then(Value::as_str).unwrap_or("");
        let location = fields.get("in").and_then(Value::as_str).unwrap_or("");
        let key_name = fields.get("name").and_then(Value::as_str).unwrap_or("");
        if let Some(authorizer) = fields.get("x-amazon-apigateway-authorizer") {
            let at = ptr.key("x-amazon-apigateway-authorizer");
            self.handle(&at);
            let header = (kind.eq_ignore_ascii_case("apiKey")
                && location.eq_ignore_ascii_case("header")
                && !key_name.is_empty())
            .then(|| key_name.to_string());
            return match self.authorizer(name, authorizer, &at, header) {
                Some(a) => {
                    let cognito = matches!(a.kind, RestAuthorizerKind::CognitoUserPools { .. });
                    self.authorizers.insert(name.to_string(), a);
                    Scheme::Authorizer { cognito }
                }
                None => Scheme::Ignored,
            };
        }
        if authtype
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("awsSigv4"))
        {
            return Scheme::Iam;
        }
        if kind == "apiKey"
            && location.eq_ignore_ascii_case("header")
            && key_name.eq_ignore_ascii_case("x-api-key")
        {
            return Scheme::ApiKey;
        }
        let what = if kind.is_empty() {
            "without a type".to_string()
        } else {
            format!("of type `{kind}`")
        };
        self.note(
            Problem::new(ptr, format!("security scheme `{name}` ({what}) is not one API Gateway enforces on a REST API: methods that require only it are open"))
                .help("use `x-amazon-apigateway-authorizer` (token, request or cognito_user_pools), `x-amazon-apigateway-authtype: awsSigv4`, or an API key (type apiKey, name x-api-key, in header)"),
        );
        Scheme::Ignored
    }

    fn authorizer(
        &mut self,
        name: &str,
        v: &Value,
        ptr: &Ptr,
        scheme_header: Option<String>,
    ) -> Option<RestAuthorizer> {
        let Some(fields) = v.as_object() else {
            self.error(Problem::new(ptr, "the authorizer is not a mapping"));
            return None;
        };
        let mut ok = self.known_keys(ptr, fields.keys(), AUTHORIZER_KEYS, "authorizer", false);
        for key in [
            "authorizerPayloadFormatVersion",
            "enableSimpleResponses",
            "jwtConfiguration",
        ] {
            if fields.contains_key(key) {
                self.note(Problem::new(
                    &ptr.key(key),
                    format!("`{key}` applies to HTTP APIs only; a REST API ignores it"),
                ));
            }
        }
        let type_ptr = ptr.key("type");
        let kind = match fields.get("type") {
            None => {
                self.error(
                    Problem::new(&type_ptr, "the authorizer has no `type`")
                        .help("use token, request or cognito_user_pools"),
                );
                return None;
            }
            Some(t) => t.as_str().unwrap_or("").to_ascii_lowercase(),
        };
        let ttl_ptr = ptr.key("authorizerResultTtlInSeconds");
        let ttl = match fields.get("authorizerResultTtlInSeconds") {
            None => 300,
            Some(v) => match number(v) {
                Some(n) if (0..=3600).contains(&n) => n,
                _ => {
                    self.error(
                        Problem::new(&ttl_ptr, format!("`authorizerResultTtlInSeconds` is {}, not 0 to 3600", text(v)))
                            .help("give the seconds a decision is cached, 0 to 3600 (0 turns caching off; the default is 300)"),
                    );
                    ok = false;
                    300
                }
            },
        };
        let source_ptr = ptr.key("identitySource");
        let source = match fields.get("identitySource") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.error(Problem::new(
                    &source_ptr,
                    format!("`identitySource` is {}, not a string", text(other)),
                ));
                return None;
            }
        };
        let validation = fields
            .get("identityValidationExpression")
            .and_then(Value::as_str)
            .map(str::to_string);
        let function = |me: &mut Self| -> Option<String> {
            let uri_ptr = ptr.key("authorizerUri");
            match fields.get("authorizerUri") {
                None => {
                    me.error(
                        Problem::new(&uri_ptr, "the Lambda authorizer has no `authorizerUri`")
                            .help(format!("name its function: {LAMBDA_URI_FORM}")),
                    );
                    None
                }
                Some(uri) => {
                    match me.lambda_uri(uri, &uri_ptr)? {
                        Target::Function(f) => Some(me.authorizer_function(f, &uri_ptr)),
                        Target::Service { service: s, .. } => {
                            me.error(
                            Problem::new(&uri_ptr, format!("an authorizer calls a Lambda function, not the `{s}` service"))
                                .help(format!("write the URI as {LAMBDA_URI_FORM}")),
                        );
                            None
                        }
                    }
                }
            }
        };
        // The header of a token or Cognito authorizer.
        let header = |me: &mut Self, source: &Option<String>| -> Option<String> {
            match source {
                Some(s) => match s.trim().strip_prefix("method.request.header.") {
                    Some(h) if !h.is_empty() && !h.contains(',') => Some(h.to_string()),
                    _ => {
                        me.error(
                            Problem::new(&source_ptr, format!("`{s}` is not one header"))
                                .help("write `method.request.header.<name>`, e.g. `method.request.header.Authorization`"),
                        );
                        None
                    }
                },
                None => Some(
                    scheme_header
                        .clone()
                        .unwrap_or_else(|| "Authorization".to_string()),
                ),
            }
        };
        let kind = match kind.as_str() {
            "token" => {
                let function = function(self);
                let header = header(self, &source);
                RestAuthorizerKind::Token {
                    function: function?,
                    header: header?,
                    validation,
                }
            }
            "request" => {
                let function = function(self);
                let mut identity_sources = Vec::new();
                for part in source.as_deref().unwrap_or("").split(',') {
                    let part = part.trim();
                    if part.is_empty() {
                        continue;
                    }
                    let valid = [
                        "method.request.header.",
                        "method.request.querystring.",
                        "method.request.multivalueheader.",
                        "method.request.multivaluequerystring.",
                        "stageVariables.",
                        "context.",
                    ]
                    .iter()
                    .any(|p| part.strip_prefix(p).is_some_and(|n| !n.is_empty()));
                    if valid {
                        identity_sources.push(part.to_string());
                    } else {
                        self.error(
                            Problem::new(&source_ptr, format!("`{part}` is not an identity source"))
                                .help("use method.request.header.<name>, method.request.querystring.<name>, stageVariables.<name> or context.<name>, separated by commas"),
                        );
                        ok = false;
                    }
                }
                if identity_sources.is_empty() && ttl > 0 && ok {
                    self.error(
                        Problem::new(&source_ptr, "a cached request authorizer needs an `identitySource`")
                            .help("name the request parameters that identify a caller (the cache key), or set `authorizerResultTtlInSeconds: 0`"),
                    );
                    ok = false;
                }
                if validation.is_some() {
                    self.note(Problem::new(&ptr.key("identityValidationExpression"), "`identityValidationExpression` applies to token authorizers only; a request authorizer ignores it"));
                }
                RestAuthorizerKind::Request {
                    function: function?,
                    identity_sources,
                }
            }
            "cognito_user_pools" => {
                let header = header(self, &source);
                let arns_ptr = ptr.key("providerARNs");
                let mut issuers = Vec::new();
                match fields.get("providerARNs").and_then(Value::as_array) {
                    Some(arns) if !arns.is_empty() => {
                        for (i, arn) in arns.iter().enumerate() {
                            match arn.as_str().and_then(cognito_issuer) {
                                Some(issuer) => issuers.push(issuer),
                                None => {
                                    self.error(
                                        Problem::new(&arns_ptr.index(i), format!("`{}` is not a user pool ARN", text(arn)))
                                            .help("write arn:aws:cognito-idp:{region}:{account}:userpool/{user pool id}"),
                                    );
                                    ok = false;
                                }
                            }
                        }
                    }
                    _ => {
                        self.error(
                            Problem::new(&arns_ptr, "a Cognito authorizer needs `providerARNs`, a list of user pool ARNs")
                                .help("e.g. providerARNs: [arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_ABC123]"),
                        );
                        ok = false;
                    }
                }
                if validation.is_some() {
                    self.note(Problem::new(&ptr.key("identityValidationExpression"), "`identityValidationExpression` on a Cognito authorizer (checking the `aud` claim) is not enforced by Portico"));
                }
                RestAuthorizerKind::CognitoUserPools {
                    issuers,
                    header: header?,
                }
            }
            "jwt" => {
                self.error(
                    Problem::new(&type_ptr, "`jwt` authorizers are for HTTP APIs")
                        .help("for a REST API, use `cognito_user_pools` for Cognito tokens, or a Lambda `token` authorizer"),
                );
                return None;
            }
            other => {
                let known = ["token", "request", "cognito_user_pools"];
                let otherwise = "use token, request or cognito_user_pools".to_string();
                let help = suggestion(other, known, otherwise);
                self.error(
                    Problem::new(
                        &type_ptr,
                        format!("`{}` is not an authorizer type", text(&fields["type"])),
                    )
                    .help(help),
                );
                return None;
            }
        };
        ok.then(|| RestAuthorizer {
            name: name.to_string(),
            kind,
            ttl: Duration::from_secs(ttl),
        })
    }

    /// What a `security` list asks of a method.
    pub(super) fn security(&mut self, value: &Value, ptr: &Ptr) -> (Authorization, bool) {
        let mut api_key = false;
        let mut chosen: Vec<(Authorization, String)> = Vec::new();
        let Some(requirements) = value.as_array() else {
            self.error(
                Problem::new(ptr, "`security` must be a list of requirements")
                    .help("e.g. `security: [{myAuthorizer: []}]`"),
            );
            return (Authorization::None, false);
        };
        for (i, requirement) in requirements.iter().enumerate() {
            let Some(names) = requirement.as_object() else {
                self.error(Problem::new(
                    &ptr.index(i),
                    "a security requirement must be a mapping of scheme names to scopes",
                ));
                continue;
            };
            for (name, scopes) in names {
                let at = ptr.index(i).key(name);
                let scopes: Vec<String> = match scopes.as_array() {
                    Some(s) if s.iter().all(Value::is_string) => s
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect(),
                    _ => {
                        self.error(
                            Problem::new(&at, "scopes must be a list of strings")
                                .help("write `[]` for none"),
                        );
                        continue;
                    }
                };
                let scheme = match self.schemes.get(name) {
                    Some(s) => s.clone(),
                    // API Gateway's own name for the API key scheme, as its examples use it.
                    None if name == "api_key" => Scheme::ApiKey,
                    None => {
                        let help = match did_you_mean(name, self.schemes.keys().map(String::as_str))
                        {
                            Some(k) => format!("did you mean `{k}`?"),
                            None => match self.version {
                                Version::OpenApi3 => {
                                    "define it under components.securitySchemes".to_string()
                                }
                                Version::Swagger2 => {
                                    "define it under securityDefinitions".to_string()
                                }
                            },
                        };
                        self.error(
                            Problem::new(&at, format!("security scheme `{name}` is not defined"))
                                .help(help),
                        );
                        continue;
                    }
                };
                match scheme {
                    Scheme::ApiKey => api_key = true,
                    Scheme::Iam => chosen.push((Authorization::Iam, name.clone())),
                    Scheme::Authorizer { cognito } => {
                        if !cognito && !scopes.is_empty() {
                            self.note(Problem::new(&at, format!("scopes are checked for Cognito authorizers only; `{name}` is a Lambda authorizer")));
                        }
                        chosen.push((
                            Authorization::Authorizer {
                                name: name.clone(),
                                scopes: if cognito { scopes } else { Vec::new() },
                            },
                            name.clone(),
                        ));
                    }
                    Scheme::Ignored => {}
                }
            }
        }
        chosen.dedup_by(|a, b| a.0 == b.0);
        if chosen.len() > 1 {
            self.error(
                Problem::new(
                    ptr,
                    format!(
                        "a method has one authorization, and `security` names `{}` and `{}`",
                        chosen[0].1, chosen[1].1
                    ),
                )
                .help("keep one authorizer (or IAM) per method; an API key scheme may go with it"),
            );
        }
        (
            chosen
                .into_iter()
                .next()
                .map_or(Authorization::None, |c| c.0),
            api_key,
        )
    }
}

/// `arn:aws:cognito-idp:{region}:{account}:userpool/{id}` → the pool's issuer URL.
fn cognito_issuer(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[2] != "cognito-idp" || parts[3].is_empty() {
        return None;
    }
    let pool = parts[5]
        .strip_prefix("userpool/")
        .filter(|p| !p.is_empty() && !p.contains('/'))?;
    Some(format!(
        "https://cognito-idp.{}.amazonaws.com/{pool}",
        parts[3]
    ))
}
