//! The compile step: raw YAML → validated [`Config`], every problem reported at once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_saphyr::Spanned;

use crate::diagnostics::{ConfigError, Diagnostic, did_you_mean, suggestion};
use crate::raw::{RawApi, RawAuthorizer, RawConfig, RawCors, RawFunction, RawThrottle};
use crate::template::{self, Options as TemplateOptions, Translated};
use crate::{
    Api, Authorizer, AuthorizerKind, Config, Cors, Function, FunctionUrl, HealthyStatus,
    IdentitySource, Integration, Limits, MappingTarget, ParameterMapping, PayloadFormat, Profile,
    Readiness, ReadinessProtocol, Route, RouteKey, Runtime, Stage, Throttle, WebApp,
};

const DEFAULT_TIMEOUT_S: u64 = 3;
const MAX_TIMEOUT_S: u64 = 900;
const DEFAULT_MEMORY_MB: u32 = 128;
const MEMORY_RANGE_MB: (u32, u32) = (128, 10240);
const DEFAULT_CONCURRENCY: u32 = 10;
const DEFAULT_IDLE_TIMEOUT_S: u64 = 300;
const MAX_CORS_MAX_AGE: u32 = 86400;

/// Environment variables Lambda sets itself; a function may not override them.
const RESERVED_ENV: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// Reads and compiles the config file at `path`: a `portico.yaml`, or a SAM or
/// CloudFormation template (with no parameter overrides).
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    load_with(path, &TemplateOptions::default())
}

/// Reads and compiles the config file at `path`; a template is translated first, with
/// `options`, and every problem is reported at its place in the template.
pub fn load_with(path: &Path, options: &TemplateOptions) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if !template::is_template(&text) {
        return parse(path, &text);
    }
    load_template(path, &text, options).map(|(config, _)| config)
}

/// Translates the SAM or CloudFormation template at `path` into `portico.yaml` text, and
/// checks that text as `portico serve` would.
pub fn import(path: &Path, options: &TemplateOptions) -> Result<Translated, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    load_template(path, &text, options).map(|(_, translated)| translated)
}

fn load_template(
    path: &Path,
    text: &str,
    options: &TemplateOptions,
) -> Result<(Config, Translated), ConfigError> {
    let translated =
        template::translate(text, &base_dir(path), options).map_err(|diagnostics| {
            ConfigError::Invalid {
                path: path.to_path_buf(),
                diagnostics,
            }
        })?;
    let mut config = parse(path, &translated.text).map_err(|e| match e {
        ConfigError::Invalid { path, diagnostics } => ConfigError::Invalid {
            path,
            diagnostics: diagnostics
                .into_iter()
                .map(|mut d| {
                    (d.line, d.column) = translated.place(d.line);
                    d
                })
                .collect(),
        },
        other => other,
    })?;
    let mut warnings: Vec<String> = translated
        .warnings
        .iter()
        .map(|w| {
            let mut line = format!("{}:{}:{}: {}", path.display(), w.line, w.column, w.message);
            if let Some(help) = &w.help {
                line.push_str(&format!("\n  help: {help}"));
            }
            line
        })
        .collect();
    warnings.append(&mut config.warnings);
    config.warnings = warnings;
    Ok((config, translated))
}

/// Compiles config `text`; `path` names the file in errors and anchors relative paths.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let invalid = |diagnostics| ConfigError::Invalid {
        path: path.to_path_buf(),
        diagnostics,
    };
    let raw: RawConfig = if text.trim().is_empty() {
        serde_saphyr::from_str("{}").map_err(|e| invalid(vec![syntax(&e)]))?
    } else {
        serde_saphyr::from_str(text).map_err(|e| invalid(vec![syntax(&e)]))?
    };
    let base = base_dir(path);
    let mut c = Compiler {
        base,
        diagnostics: Vec::new(),
        warnings: Vec::new(),
    };
    let mut config = c.config(path, raw);
    config.warnings = std::mem::take(&mut c.warnings);
    if c.diagnostics.is_empty() {
        Ok(config)
    } else {
        c.diagnostics.sort_by_key(|d| (d.line, d.column));
        Err(invalid(c.diagnostics))
    }
}

/// The folder that paths in the file at `path` are relative to, made absolute: every path a
/// function instance sees (its code, `LAMBDA_TASK_ROOT`) must hold whatever its working
/// directory is, and `portico.yaml` given as a bare name has an empty parent.
pub(crate) fn base_dir(path: &Path) -> PathBuf {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    dir.canonicalize()
        .or_else(|_| std::path::absolute(dir))
        .unwrap_or_else(|_| dir.to_path_buf())
}

/// A YAML or type error from the deserializer, with a suggestion for a misspelt key.
fn syntax(error: &serde_saphyr::Error) -> Diagnostic {
    let (line, column) = error
        .location()
        .map(|l| (l.line() as u32, l.column() as u32))
        .unwrap_or((0, 0));
    let message = first_line(&error.without_snippet().to_string());
    let mut diagnostic = Diagnostic::new(line, column, message.clone());
    if let Some(help) = unknown_key_help(&message) {
        diagnostic = diagnostic.help(help);
    }
    diagnostic
}

fn first_line(rendered: &str) -> String {
    let line = rendered.lines().next().unwrap_or(rendered).trim();
    // The deserializer may prefix its own position; the diagnostic carries ours.
    // The deserializer appends its own position; the diagnostic carries it already.
    match line.rfind(" at line ") {
        Some(i) if line[i..].contains(", column ") => line[..i].to_string(),
        _ => line.to_string(),
    }
}

/// For serde's "unknown field `x`, expected one of `a`, `b`", suggests the nearest key.
fn unknown_key_help(message: &str) -> Option<String> {
    let rest = message.split("unknown field `").nth(1)?;
    let (field, expected) = rest.split_once('`')?;
    // The names come with backticks or without: "expected one of `a`, `b`" or "a, b".
    let known: Vec<&str> = expected
        .split_once("expected one of ")
        .map_or("", |(_, names)| names)
        .split(", ")
        .map(|name| name.trim().trim_matches('`'))
        .filter(|name| !name.is_empty())
        .collect();
    let otherwise = format!(
        "remove `{field}`; the keys allowed here are {}",
        known.join(", ")
    );
    Some(suggestion(field, known, otherwise))
}

pub(crate) struct Compiler {
    pub(crate) base: PathBuf,
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// What is accepted but not served (an OpenAPI extension Portico does not read).
    pub(crate) warnings: Vec<String>,
}

pub(crate) fn at<T>(s: &Spanned<T>) -> (u32, u32) {
    (s.referenced.line() as u32, s.referenced.column() as u32)
}

impl Compiler {
    pub(crate) fn error<T>(
        &mut self,
        place: &Spanned<T>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let (line, column) = at(place);
        self.diagnostics
            .push(Diagnostic::new(line, column, message).help(help));
    }

    fn profile(&mut self, name: &Option<Spanned<String>>, inherited: Profile) -> Profile {
        let Some(name) = name else { return inherited };
        match Profile::parse(&name.value) {
            Some(p) => p,
            None => {
                self.error(
                    name,
                    format!("unknown limits profile `{}`", name.value),
                    format!("use one of: {}", Profile::NAMES.join(", ")),
                );
                inherited
            }
        }
    }

    fn config(&mut self, path: &Path, raw: RawConfig) -> Config {
        let profile = self.profile(&raw.limits, Profile::Aws);
        let account_id = match raw.account_id {
            Some(id) if id.value.len() == 12 && id.value.bytes().all(|b| b.is_ascii_digit()) => {
                id.value
            }
            Some(id) => {
                self.error(
                    &id,
                    format!("account_id `{}` is not 12 digits", id.value),
                    "write an AWS account id such as \"123456789012\" (quoted)",
                );
                id.value
            }
            None => "000000000000".to_string(),
        };
        let mut functions = BTreeMap::new();
        for (crate::raw::Key(name), raw) in raw.functions {
            if let Some(f) = self.function(&name, raw, profile) {
                functions.insert(name.value, f);
            }
        }
        let mut apis = BTreeMap::new();
        let mut rest_apis = BTreeMap::new();
        for (crate::raw::Key(name), raw) in raw.apis {
            self.api_name(&name);
            match raw.protocol.value.as_str() {
                "http" => {
                    if let Some(api) = self.api(&name, raw, &functions, profile) {
                        apis.insert(name.value, api);
                    }
                }
                "rest" => {
                    if let Some(api) = self.rest_api(&name, raw, &functions, profile) {
                        rest_apis.insert(name.value, api);
                    }
                }
                other => {
                    self.error(
                        &raw.protocol,
                        format!("protocol `{other}` is not served yet"),
                        "use `http` (HTTP APIs) or `rest` (REST APIs); WebSocket APIs come later",
                    );
                    // Its other problems are worth knowing now too.
                    self.api(&name, raw, &functions, profile);
                }
            }
        }
        let mut credentials = BTreeMap::new();
        for (crate::raw::Key(key_id), credential) in raw.credentials {
            if let Some(value) = self.env_value(&credential.secret, "the secret") {
                credentials.insert(key_id.value, value);
            }
        }
        let tracing = raw.tracing.map(|t| {
            if !is_web_url(&t.otlp_endpoint.value) {
                self.error(
                    &t.otlp_endpoint,
                    format!("`{}` is not an http:// or https:// URL", t.otlp_endpoint.value),
                    "write the collector's OTLP/HTTP address, as `otlp_endpoint: http://127.0.0.1:4318`",
                );
            }
            crate::Tracing {
                otlp_endpoint: t.otlp_endpoint.value,
                service_name: t.service_name,
            }
        });
        let (admin_listen, admin_prices) = raw
            .admin
            .map_or((None, None), |admin| (admin.listen, admin.prices));
        if let Some(prices) = &admin_prices
            && !self.base.join(&prices.value).is_file()
        {
            self.error(
                prices,
                format!("price table `{}` not found", prices.value),
                "write the default one with `portico cost --print-prices > prices.yaml` and name it here (relative to this file)",
            );
        }
        let endpoints = self.endpoints(raw.endpoints);
        Config {
            tracing,
            endpoints,
            path: path.to_path_buf(),
            dir: self.base.clone(),
            region: raw.region.unwrap_or_else(|| "us-east-1".to_string()),
            account_id,
            functions,
            apis,
            rest_apis,
            credentials,
            warnings: Vec::new(),
            admin_prices: admin_prices.map(|p| self.base.join(p.value)),
            admin_listen: admin_listen.and_then(|listen| match listen.value.as_str() {
                "off" => Some(None),
                addr => match addr.parse() {
                    Ok(addr) => Some(Some(addr)),
                    Err(_) => {
                        self.error(
                            &listen,
                            format!("`{addr}` is not an address to listen on"),
                            "write `listen: 127.0.0.1:9000` (a host IP and a port), or `off`",
                        );
                        None
                    }
                },
            }),
        }
    }

    /// A value as written, or `${env:NAME}` read from the environment (an unset variable is
    /// an error); `what` names it in the help.
    pub(crate) fn env_value(&mut self, value: &Spanned<String>, what: &str) -> Option<String> {
        let Some(name) = value
            .value
            .strip_prefix("${env:")
            .and_then(|v| v.strip_suffix('}'))
        else {
            return Some(value.value.clone());
        };
        match std::env::var(name) {
            Ok(found) => Some(found),
            Err(_) => {
                self.error(
                    value,
                    format!("environment variable `{name}` is not set"),
                    format!("export {name} before starting Portico, or write {what} here"),
                );
                None
            }
        }
    }

    /// Checks an API's name: it becomes a host name.
    fn api_name(&mut self, name: &Spanned<String>) {
        let valid_name = !name.value.is_empty()
            && name.value.len() <= 63
            && name
                .value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !valid_name {
            self.error(
                name,
                format!("`{}` is not a valid API name", name.value),
                "use letters, digits and hyphens (it becomes a host name: <api>.execute-api.localhost)",
            );
        }
    }

    fn api(
        &mut self,
        name: &Spanned<String>,
        raw: RawApi,
        functions: &BTreeMap<String, Function>,
        profile: Profile,
    ) -> Option<Api> {
        let errors_before = self.diagnostics.len();
        let stages = self.stages(raw.stages, true);
        let rest_only = [
            ("api_keys", !raw.api_keys.is_empty()),
            ("usage_plans", !raw.usage_plans.is_empty()),
            ("openapi", raw.openapi.is_some()),
            ("binary_media_types", !raw.binary_media_types.is_empty()),
            ("cognito_endpoint", raw.cognito_endpoint.is_some()),
        ];
        for (field, given) in rest_only {
            if given {
                self.error(
                    name,
                    format!("`{field}` is for REST APIs"),
                    "HTTP APIs have no API keys or OpenAPI imports here; use `protocol: rest`",
                );
            }
        }
        let mut authorizers = BTreeMap::new();
        for (crate::raw::Key(auth_name), raw_auth) in raw.authorizers {
            if let Some(authorizer) = self.authorizer(&auth_name, raw_auth, functions) {
                authorizers.insert(auth_name.value, authorizer);
            }
        }
        let mut routes = Vec::new();
        for (crate::raw::Key(key), route) in raw.routes {
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
                (Some(function), None) => {
                    self.known_function(function, &format!("route `{}`", key.value), functions);
                    Integration::Lambda {
                        function: function.value.clone(),
                    }
                }
                (None, Some(url)) => {
                    self.web_url(url);
                    Integration::Http {
                        url: url.value.clone(),
                    }
                }
                _ => {
                    self.error(
                        &key,
                        format!("route `{}` needs one integration", key.value),
                        "give it `function: <name>` or `http: <url>`, not both",
                    );
                    Integration::Lambda {
                        function: String::new(),
                    }
                }
            };
            let timeout = self.route_timeout(&route, functions, profile);
            let request_parameters = self.request_parameters(&route);
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

    /// An API's stages; without any, `$default` (HTTP APIs) or `prod` (REST APIs, which
    /// have no `$default`).
    pub(crate) fn stages(
        &mut self,
        raw: Option<BTreeMap<crate::raw::Key, crate::raw::RawStage>>,
        allow_default: bool,
    ) -> BTreeMap<String, Stage> {
        let mut stages = BTreeMap::new();
        let Some(raw_stages) = raw else {
            let name = if allow_default { "$default" } else { "prod" };
            stages.insert(name.to_string(), Stage::default());
            return stages;
        };
        for (crate::raw::Key(stage), raw_stage) in raw_stages {
            let ok = (allow_default && stage.value == "$default")
                || (!stage.value.is_empty()
                    && stage.value.len() <= 128
                    && stage
                        .value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            if !ok {
                let allowed = if allow_default {
                    "use `$default` or letters, digits, `-` and `_`"
                } else {
                    "use letters, digits, `-` and `_` (REST APIs have no `$default` stage)"
                };
                self.error(
                    &stage,
                    format!("`{}` is not a valid stage name", stage.value),
                    allowed,
                );
            }
            let variables = raw_stage
                .variables
                .into_iter()
                .map(|(crate::raw::Key(k), v)| (k.value, v.into_string()))
                .collect();
            let throttle = raw_stage.throttle.map(|t| self.throttle(t));
            let cache_ttl = match &raw_stage.cache_ttl {
                Some(ttl) if allow_default => {
                    self.error(
                        ttl,
                        "`cache_ttl` is for REST API stages",
                        "HTTP APIs have no stage cache; use `protocol: rest`",
                    );
                    None
                }
                Some(_) => {
                    let seconds =
                        self.ranged(&raw_stage.cache_ttl, 300, 0, 3600, "cache_ttl", "seconds");
                    Some(Duration::from_secs(seconds))
                }
                None => None,
            };
            let access_log = raw_stage.access_log.map(|log| self.access_log(log));
            let mut cache_methods = BTreeMap::new();
            for (crate::raw::Key(method), ttl) in raw_stage.cache_methods {
                if allow_default {
                    self.error(
                        &method,
                        "`cache_methods` is for REST API stages",
                        "HTTP APIs have no stage cache; use `protocol: rest`",
                    );
                    continue;
                }
                if let Err(why) = RouteKey::parse(&method.value) {
                    self.error(
                        &method,
                        format!("`{}` is not a method: {why}", method.value),
                        "name a method as its route, e.g. `GET /pets/{id}`",
                    );
                }
                let seconds =
                    self.ranged(&Some(ttl), 300, 0, 3600, "a method's cache TTL", "seconds");
                cache_methods.insert(method.value, Duration::from_secs(seconds));
            }
            stages.insert(
                stage.value,
                Stage {
                    variables,
                    throttle,
                    cache_ttl,
                    cache_methods,
                    access_log,
                },
            );
        }
        stages
    }

    /// A stage's access log: its format must name `$context.requestId`, as API Gateway's does.
    fn access_log(&mut self, raw: crate::raw::RawAccessLog) -> crate::AccessLog {
        if !raw.format.value.contains("$context.requestId") {
            self.error(
                &raw.format,
                "an access log format must include `$context.requestId`",
                "e.g. format: '{\"requestId\":\"$context.requestId\", \"status\":\"$context.status\"}'",
            );
        }
        let rotation = match raw.rotation.as_ref().map(|r| r.value.as_str()) {
            None | Some("daily") => crate::Rotation::Daily,
            Some("hourly") => crate::Rotation::Hourly,
            Some("never") => crate::Rotation::Never,
            Some(other) => {
                if let Some(place) = &raw.rotation {
                    self.error(
                        place,
                        format!("rotation `{other}` is not daily, hourly or never"),
                        "write `rotation: daily`",
                    );
                }
                crate::Rotation::Daily
            }
        };
        crate::AccessLog {
            format: raw.format.value,
            file: raw.file.map(|f| self.base.join(f.value)),
            rotation,
        }
    }

    /// Reports `function` if no function has that name; `what` says who names it.
    pub(crate) fn known_function(
        &mut self,
        function: &Spanned<String>,
        what: &str,
        functions: &BTreeMap<String, Function>,
    ) {
        if functions.contains_key(&function.value) {
            return;
        }
        let names: Vec<&str> = functions.keys().map(String::as_str).collect();
        let suggestion = did_you_mean(&function.value, names.iter().copied())
            .map(|k| format!("did you mean `{k}`? "))
            .unwrap_or_default();
        self.error(
            function,
            format!(
                "{what} invokes `{}`, which is not a function here",
                function.value
            ),
            format!("{suggestion}functions are declared under `functions:`"),
        );
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
            .and_then(|f| functions.get(&f.value))
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

    fn request_parameters(&mut self, route: &crate::raw::RawRoute) -> Vec<ParameterMapping> {
        let mut mappings = Vec::new();
        for (crate::raw::Key(key), value) in &route.request_parameters {
            match ParameterMapping::parse(&key.value, value) {
                Ok(mapping) if route.http.is_none() && mapping.target == MappingTarget::Path => {
                    self.error(
                        key,
                        "a `function:` route's path cannot be mapped",
                        "map headers and query parameters, or make the route `http:`",
                    )
                }
                Ok(mapping) => mappings.push(mapping),
                Err(why) => self.error(
                    key,
                    format!("mapping `{}`: {why}", key.value),
                    "write e.g. `append:header.x-name: $request.header.x-other` or `overwrite:path: /v2/${request.path.id}`",
                ),
            }
        }
        mappings
    }

    fn response_parameters(
        &mut self,
        route: &crate::raw::RawRoute,
    ) -> Vec<(u16, Vec<ParameterMapping>)> {
        let mut by_status = Vec::new();
        for (crate::raw::Key(status), mappings) in &route.response_parameters {
            let Some(code) = status
                .value
                .parse::<u16>()
                .ok()
                .filter(|c| (200..=599).contains(c))
            else {
                self.error(
                    status,
                    format!("`{}` is not a status code from 200 to 599", status.value),
                    "key the mappings by the integration's status code, e.g. `\"404\": {...}`",
                );
                continue;
            };
            let mut parsed = Vec::new();
            for (crate::raw::Key(key), value) in mappings {
                match ParameterMapping::parse_response(&key.value, value) {
                    Ok(mapping) => parsed.push(mapping),
                    Err(why) => self.error(
                        key,
                        format!("mapping `{}`: {why}", key.value),
                        "write e.g. `overwrite:statuscode: \"204\"` or `append:header.x-name: $response.header.x-other`",
                    ),
                }
            }
            by_status.push((code, parsed));
        }
        by_status
    }

    fn authorizer(
        &mut self,
        name: &Spanned<String>,
        raw: RawAuthorizer,
        functions: &BTreeMap<String, Function>,
    ) -> Option<Authorizer> {
        let errors_before = self.diagnostics.len();
        let mut identity_sources = Vec::new();
        for source in &raw.identity_source {
            match IdentitySource::parse(&source.value) {
                Some(parsed) => identity_sources.push(parsed),
                None => self.error(
                    source,
                    format!("identity source `{}` is not understood", source.value),
                    "use `$request.header.<name>` or `$request.querystring.<name>`",
                ),
            }
        }
        let kind = match raw.kind.value.as_str() {
            "lambda" => {
                let payload_format = match raw.payload_format.as_ref() {
                    None => PayloadFormat::V2,
                    Some(format) if format.value == "2.0" => PayloadFormat::V2,
                    Some(format) if format.value == "1.0" => {
                        if raw.simple_responses {
                            self.error(
                                format,
                                "simple responses need authorizer payload_format \"2.0\"",
                                "answer with an IAM policy, or use payload_format \"2.0\"",
                            );
                        }
                        PayloadFormat::V1
                    }
                    Some(format) => {
                        self.error(
                            format,
                            format!(
                                "authorizer payload_format `{}` is not \"1.0\" or \"2.0\"",
                                format.value
                            ),
                            "use \"2.0\" (or \"1.0\" for the REST shape)",
                        );
                        PayloadFormat::V2
                    }
                };
                let function = match &raw.function {
                    Some(f) if functions.contains_key(&f.value) => f.value.clone(),
                    Some(f) => {
                        self.error(
                            f,
                            format!(
                                "authorizer `{}` invokes `{}`, which is not a function here",
                                name.value, f.value
                            ),
                            "functions are declared under `functions:`",
                        );
                        String::new()
                    }
                    None => {
                        self.error(
                            &raw.kind,
                            format!("lambda authorizer `{}` has no `function`", name.value),
                            "add `function: <name>`",
                        );
                        String::new()
                    }
                };
                let default_ttl = if identity_sources.is_empty() { 0 } else { 300 };
                let ttl = self.ranged(&raw.ttl, default_ttl, 0, 3600, "ttl", "seconds");
                if ttl > 0
                    && identity_sources.is_empty()
                    && let Some(place) = &raw.ttl
                {
                    self.error(
                        place,
                        "a cached authorizer needs an identity source to key its cache on",
                        "add `identity_source:` or set `ttl: 0`",
                    );
                }
                AuthorizerKind::Lambda {
                    function,
                    payload_format,
                    simple_responses: raw.simple_responses,
                    ttl: Duration::from_secs(ttl),
                }
            }
            "jwt" => {
                if identity_sources.is_empty() {
                    identity_sources.push(IdentitySource::Header("authorization".into()));
                }
                let Some(issuer) = &raw.issuer else {
                    self.error(
                        &raw.kind,
                        format!("jwt authorizer `{}` has no `issuer`", name.value),
                        "add `issuer: <the iss of its tokens>`",
                    );
                    return None;
                };
                if raw.audience.is_empty() {
                    self.error(
                        issuer,
                        format!("jwt authorizer `{}` has no `audience`", name.value),
                        "add `audience: [<client id or aud>]`",
                    );
                }
                let keys_at = raw.jwks_uri.as_ref().unwrap_or(issuer);
                if !is_web_url(&keys_at.value) {
                    self.error(
                        keys_at,
                        format!(
                            "`{}` is not an http:// or https:// URL to fetch keys from",
                            keys_at.value
                        ),
                        "give the issuer as its tokens' `iss` (https://...), or a `jwks_uri`",
                    );
                }
                AuthorizerKind::Jwt {
                    issuer: issuer.value.clone(),
                    audience: raw.audience.clone(),
                    jwks_uri: raw.jwks_uri.as_ref().map(|u| u.value.clone()),
                }
            }
            other => {
                self.error(
                    &raw.kind,
                    format!("authorizer type `{other}` is not served"),
                    "use `lambda` or `jwt`",
                );
                return None;
            }
        };
        (self.diagnostics.len() == errors_before).then(|| Authorizer {
            name: name.value.clone(),
            identity_sources,
            kind,
        })
    }

    fn function(
        &mut self,
        name: &Spanned<String>,
        mut raw: RawFunction,
        inherited: Profile,
    ) -> Option<Function> {
        let errors_before = self.diagnostics.len();
        let valid_name = !name.value.is_empty()
            && name.value.len() <= 64
            && name
                .value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid_name {
            self.error(
                name,
                format!("`{}` is not a valid function name", name.value),
                "use 1 to 64 letters, digits, hyphens or underscores",
            );
        }
        let runtime = Runtime::parse(&raw.runtime.value);
        if runtime.is_none() {
            let suggestion = did_you_mean(&raw.runtime.value, Runtime::EXAMPLES.iter().copied())
                .map(|k| format!("did you mean `{k}`? "))
                .unwrap_or_default();
            self.error(
                &raw.runtime,
                format!("unknown runtime `{}`", raw.runtime.value),
                format!("{suggestion}use python3.x, nodejs20.x, nodejs22.x, provided or web"),
            );
        }
        let code = self.base.join(&raw.code.value);
        if !code.is_dir() {
            self.error(
                &raw.code,
                format!("code folder `{}` does not exist", raw.code.value),
                format!(
                    "create {} or fix the path; it is relative to the config file",
                    code.display()
                ),
            );
        }
        let handler = self.handler(runtime.as_ref(), &raw, &code);
        let mut layers = Vec::new();
        let mut package_layers = Vec::new();
        for layer in &raw.layers {
            let folder = self.base.join(&layer.value);
            let packages = match layer.value.split_once(':') {
                Some(("pypi", package)) => Some((
                    crate::PackageLayer::Pypi(package.to_string()),
                    "python",
                    package,
                )),
                Some(("npm", package)) => Some((
                    crate::PackageLayer::Npm(package.to_string()),
                    "nodejs",
                    package,
                )),
                _ => None,
            };
            if let Some((package_layer, language, package)) = packages {
                if package.is_empty() || !raw.runtime.value.starts_with(language) {
                    self.error(
                        layer,
                        format!("`{}` is not a layer a {} function can use", layer.value, raw.runtime.value),
                        "write `pypi:<package>` for Python functions, `npm:<package>` for Node functions",
                    );
                } else {
                    package_layers.push(package_layer);
                }
            } else if folder.is_dir() {
                layers.push(folder);
            } else {
                self.error(
                    layer,
                    format!("layer folder `{}` does not exist", layer.value),
                    "name a folder laid out as a Lambda layer (python/, nodejs/node_modules/, bin/), relative to the config file",
                );
            }
        }
        let build = raw.build.as_ref().and_then(|b| self.build(b));
        let timeout = self.ranged(
            &raw.timeout,
            DEFAULT_TIMEOUT_S,
            1,
            MAX_TIMEOUT_S,
            "timeout",
            "seconds",
        );
        let memory = self.ranged(
            &raw.memory,
            DEFAULT_MEMORY_MB,
            MEMORY_RANGE_MB.0,
            MEMORY_RANGE_MB.1,
            "memory",
            "MB",
        );
        let concurrency = self.ranged(
            &raw.concurrency,
            DEFAULT_CONCURRENCY,
            1,
            10_000,
            "concurrency",
            "instances",
        );
        let idle = self.ranged(
            &raw.idle_timeout,
            DEFAULT_IDLE_TIMEOUT_S,
            1,
            86_400,
            "idle_timeout",
            "seconds",
        );
        let limits: Limits = self.profile(&raw.limits, inherited).limits();
        let environment = self.environment(std::mem::take(&mut raw.environment));
        let web = self.web_app(runtime.as_ref(), &raw, concurrency, &environment);
        let url = raw.url.map(|u| FunctionUrl {
            auth: u.auth,
            invoke_mode: u.invoke_mode,
            cors: u.cors.map(|c| self.cors(c)),
        });
        if self.diagnostics.len() > errors_before {
            return None;
        }
        Some(Function {
            name: name.value.clone(),
            runtime: runtime?,
            runtime_name: raw.runtime.value,
            handler,
            code,
            layers,
            package_layers,
            build,
            sdk: None,
            command: raw.command.map(|c| c.value),
            web,
            timeout: Duration::from_secs(timeout),
            memory_mb: memory,
            concurrency,
            idle_timeout: Duration::from_secs(idle),
            environment,
            limits,
            url,
        })
    }

    /// A `runtime: web` function's server: its command, port and readiness check (the
    /// readiness defaults taken from the adapter's `AWS_LWA_READINESS_CHECK_*` variables in
    /// its environment, else the adapter's own defaults). Other runtimes may not have them.
    fn web_app(
        &mut self,
        runtime: Option<&Runtime>,
        raw: &RawFunction,
        concurrency: u32,
        environment: &BTreeMap<String, String>,
    ) -> Option<WebApp> {
        if runtime != Some(&Runtime::Web) {
            if runtime.is_some() {
                if let Some(port) = &raw.port {
                    self.error(
                        port,
                        "`port` is for `runtime: web`",
                        "remove it, or make the function `runtime: web` with its server as `command:`",
                    );
                }
                if let Some(readiness) = &raw.readiness {
                    self.error(
                        readiness,
                        "`readiness` is for `runtime: web`",
                        "remove it, or make the function `runtime: web` with its server as `command:`",
                    );
                }
            }
            return None;
        }
        match &raw.command {
            None => self.error(
                &raw.runtime,
                "a web function has no `command`",
                "add the web server and its arguments: `command: [python3, app.py]`",
            ),
            Some(command) if command.value.is_empty() || command.value[0].is_empty() => self.error(
                command,
                "`command` is empty",
                "give the web server and its arguments: `command: [python3, app.py]`",
            ),
            Some(_) => {}
        }
        let port = match &raw.port {
            Some(port) if !(1..=65535).contains(&port.value) => {
                self.error(
                    port,
                    format!("port {} is out of range", port.value),
                    "port is 1 to 65535, or leave it out for a free port per instance",
                );
                None
            }
            Some(port) if concurrency != 1 => {
                self.error(
                    port,
                    format!(
                        "a fixed port lets one instance run at a time, but concurrency is {concurrency}"
                    ),
                    "add `concurrency: 1`, or leave `port` out: each instance then gets a free port as PORT and AWS_LWA_PORT",
                );
                None
            }
            Some(port) => Some(port.value as u16),
            None => None,
        };
        let mut readiness = Readiness::default();
        let raw_readiness = raw.readiness.as_ref().map(|r| &r.value);
        let from_env = |name: &str| environment.get(name).cloned();
        let path = raw_readiness
            .and_then(|r| r.path.as_ref())
            .map(|p| (p.value.clone(), Some(p)))
            .or_else(|| from_env("AWS_LWA_READINESS_CHECK_PATH").map(|p| (p, None)));
        if let Some((path, place)) = path {
            if path.starts_with('/') {
                readiness.path = path;
            } else if let Some(place) = place {
                self.error(
                    place,
                    format!("readiness path `{path}` does not start with `/`"),
                    "give the path the check asks for, e.g. `/health`",
                );
            } else {
                readiness.path = format!("/{path}");
            }
        }
        let protocol = raw_readiness
            .and_then(|r| r.protocol.as_ref())
            .map(|p| (p.value.clone(), Some(p)))
            .or_else(|| from_env("AWS_LWA_READINESS_CHECK_PROTOCOL").map(|p| (p, None)));
        if let Some((protocol, place)) = protocol {
            match protocol.to_ascii_lowercase().as_str() {
                "http" => readiness.protocol = ReadinessProtocol::Http,
                "tcp" => readiness.protocol = ReadinessProtocol::Tcp,
                other => {
                    let suggestion = did_you_mean(other, ["http", "tcp"])
                        .map(|k| format!("did you mean `{k}`? "))
                        .unwrap_or_default();
                    match place {
                        Some(place) => self.error(
                            place,
                            format!("unknown readiness protocol `{protocol}`"),
                            format!("{suggestion}use http or tcp"),
                        ),
                        None => self.error(
                            &raw.runtime,
                            format!(
                                "AWS_LWA_READINESS_CHECK_PROTOCOL `{protocol}` is not http or tcp"
                            ),
                            format!(
                                "{suggestion}fix it in `environment`, or set `readiness.protocol`"
                            ),
                        ),
                    }
                }
            }
        }
        let healthy = raw_readiness
            .and_then(|r| r.healthy_status.as_ref())
            .map(|h| (h.value.to_text(), Some(h)))
            .or_else(|| from_env("AWS_LWA_READINESS_CHECK_HEALTHY_STATUS").map(|h| (h, None)));
        if let Some((healthy, place)) = healthy {
            match HealthyStatus::parse(&healthy) {
                Ok(parsed) => readiness.healthy = parsed,
                Err(part) => {
                    let message = format!("`{part}` is not a status code or a range of them");
                    let help =
                        "write codes and ranges from 100 to 599: `200-399`, `200,204,300-399`";
                    match place {
                        Some(place) => self.error(place, message, help),
                        None => self.error(
                            &raw.runtime,
                            format!("AWS_LWA_READINESS_CHECK_HEALTHY_STATUS: {message}"),
                            help,
                        ),
                    }
                }
            }
        }
        Some(WebApp { port, readiness })
    }

    /// Checks the handler string and that the file it names exists.
    fn handler(&mut self, runtime: Option<&Runtime>, raw: &RawFunction, code: &Path) -> String {
        let handler_as_written = || {
            raw.handler
                .as_ref()
                .map(|h| h.value.clone())
                .unwrap_or_default()
        };
        // A wrapper script decides what the handler means (the Lambda Web Adapter runs it
        // as the web server: `Handler: run.sh`).
        let wrapped = raw
            .environment
            .keys()
            .any(|k| k.0.value == "AWS_LAMBDA_EXEC_WRAPPER");
        if runtime == Some(&Runtime::Web) || (wrapped && raw.handler.is_some()) {
            return handler_as_written();
        }
        let extensions: &[&str] = match runtime {
            Some(Runtime::Python { .. }) => &["py"],
            Some(Runtime::Node { .. }) => &["js", "mjs", "cjs"],
            Some(Runtime::Provided) => {
                // A build makes `bootstrap`.
                if raw.command.is_none()
                    && raw.build.is_none()
                    && code.is_dir()
                    && !code.join("bootstrap").is_file()
                {
                    self.error(
                        &raw.code,
                        format!("no `bootstrap` executable in `{}`", raw.code.value),
                        "a provided runtime runs <code>/bootstrap; add it, or set `command:`",
                    );
                }
                return raw
                    .handler
                    .as_ref()
                    .map(|h| h.value.clone())
                    .unwrap_or_default();
            }
            Some(Runtime::Web) => return handler_as_written(),
            None => return String::new(),
        };
        let Some(handler) = &raw.handler else {
            self.error(
                &raw.runtime,
                "this function has no `handler`",
                "add `handler: <file>.<function>`, e.g. `handler: app.handler`",
            );
            return String::new();
        };
        let Some((module, function)) = handler.value.rsplit_once('.') else {
            self.error(
                handler,
                format!("handler `{}` is not `<file>.<function>`", handler.value),
                "write the file name without extension, a dot, and the function name: `app.handler`",
            );
            return handler.value.clone();
        };
        if function.is_empty() || module.is_empty() {
            self.error(
                handler,
                format!("handler `{}` is not `<file>.<function>`", handler.value),
                "write the file name without extension, a dot, and the function name: `app.handler`",
            );
        } else if code.is_dir() && !made_by_make(raw) {
            let module_path = match runtime {
                Some(Runtime::Python { .. }) => module.replace('.', "/"),
                _ => module.to_string(),
            };
            let found = extensions
                .iter()
                .any(|ext| code.join(format!("{module_path}.{ext}")).is_file());
            if !found {
                self.error(
                    handler,
                    format!(
                        "handler file `{module_path}.{}` not found in `{}`",
                        extensions.join("|"),
                        raw.code.value
                    ),
                    "check the file name in `handler:` and the `code:` folder",
                );
            }
        }
        handler.value.clone()
    }

    pub(crate) fn ranged<T>(
        &mut self,
        value: &Option<Spanned<T>>,
        default: T,
        min: T,
        max: T,
        key: &str,
        unit: &str,
    ) -> T
    where
        T: Copy + PartialOrd + std::fmt::Display,
    {
        let Some(v) = value else { return default };
        if v.value < min || v.value > max {
            self.error(
                v,
                format!("{key} {} is out of range", v.value),
                format!("{key} is {min} to {max} {unit}"),
            );
            return default;
        }
        v.value
    }

    fn environment(
        &mut self,
        raw: BTreeMap<crate::raw::Key, crate::raw::Scalar>,
    ) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        for (crate::raw::Key(key), value) in raw {
            let k = &key.value;
            let well_formed = k.len() >= 2
                && k.starts_with(|c: char| c.is_ascii_alphabetic())
                && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !well_formed {
                self.error(
                    &key,
                    format!("environment variable name `{k}` is not valid"),
                    "names start with a letter and hold at least 2 letters, digits or underscores",
                );
            } else if RESERVED_ENV.contains(&k.as_str()) {
                self.error(
                    &key,
                    format!("`{k}` is reserved by Lambda"),
                    "Portico sets this variable itself; remove it from `environment:`",
                );
            }
            env.insert(key.value, value.into_string());
        }
        env
    }

    pub(crate) fn throttle(&mut self, raw: RawThrottle) -> Throttle {
        if !(raw.rate.value >= 0.0 && raw.rate.value.is_finite()) {
            self.error(
                &raw.rate,
                format!("throttle rate {} is not a rate", raw.rate.value),
                "rate is requests per second, 0 or more",
            );
        }
        Throttle {
            rate: raw.rate.value,
            burst: raw.burst.value,
        }
    }

    fn cors(&mut self, raw: RawCors) -> Cors {
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
}

impl Compiler {
    /// A function's `build:`.
    fn build(&mut self, raw: &Spanned<crate::raw::RawBuild>) -> Option<crate::Build> {
        use crate::raw::RawBuild;
        let (method, binary) = match &raw.value {
            RawBuild::Method(method) => (method.as_str(), None),
            RawBuild::Options { method, binary } => (method.as_str(), binary.clone()),
        };
        let build = match method {
            "pip" => crate::Build::Pip,
            "npm" => crate::Build::Npm,
            "makefile" => crate::Build::Makefile,
            "cargo-lambda" => crate::Build::CargoLambda { binary },
            other => {
                let help = suggestion(
                    other,
                    crate::Build::NAMES.iter().copied(),
                    format!("use {}", crate::Build::NAMES.join(", ")),
                );
                self.error(raw, format!("unknown build method `{other}`"), help);
                return None;
            }
        };
        if binary_given(&raw.value) && !matches!(build, crate::Build::CargoLambda { .. }) {
            self.error(
                raw,
                format!("`binary` is for cargo-lambda builds, not {method}"),
                "remove `binary`",
            );
        }
        Some(build)
    }

    /// `endpoints:`: service ids (the SDKs' `AWS_ENDPOINT_URL_<SERVICE>` suffixes, in lower
    /// case) and where their calls go.
    fn endpoints(
        &mut self,
        raw: BTreeMap<crate::raw::Key, Spanned<String>>,
    ) -> BTreeMap<String, crate::Endpoint> {
        let mut endpoints = BTreeMap::new();
        for (service, target) in raw {
            let service = service.0;
            let valid = !service.value.is_empty()
                && service
                    .value
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !valid {
                self.error(
                    &service,
                    format!("`{}` is not an AWS service id", service.value),
                    "write the SDK's service id in lower case with `_` for spaces: dynamodb, s3, sqs, secrets_manager",
                );
                continue;
            }
            let endpoint = if target.value == "self" {
                crate::Endpoint::Portico
            } else if is_web_url(&target.value) {
                crate::Endpoint::Url(target.value.clone())
            } else {
                self.error(
                    &target,
                    format!("`{}` is not an http:// or https:// URL", target.value),
                    "write e.g. `dynamodb: http://127.0.0.1:8000`, or `self` for Portico",
                );
                continue;
            };
            endpoints.insert(service.value, endpoint);
        }
        endpoints
    }

    /// Reports `url` unless it is an `http://` or `https://` URL with a host.
    pub(crate) fn web_url(&mut self, url: &Spanned<String>) {
        if !is_web_url(&url.value) {
            self.error(
                url,
                format!("`{}` is not an http:// or https:// URL", url.value),
                "write `http: https://host:port/path/{proxy}`",
            );
        }
    }
}

/// Whether a Makefile makes the function's files (so the handler may not be there yet).
fn made_by_make(raw: &RawFunction) -> bool {
    matches!(&raw.build, Some(b) if matches!(&b.value, crate::raw::RawBuild::Method(m) | crate::raw::RawBuild::Options { method: m, .. } if m == "makefile"))
}

fn binary_given(raw: &crate::raw::RawBuild) -> bool {
    matches!(
        raw,
        crate::raw::RawBuild::Options {
            binary: Some(_),
            ..
        }
    )
}

/// Whether `url` is an `http://` or `https://` URL with a host.
fn is_web_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.and_then(|r| r.split(['/', '?', '#']).next())
        .is_some_and(|host| !host.is_empty() && !host.starts_with(':'))
}
