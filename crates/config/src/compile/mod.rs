//! The compile step: raw YAML → validated [`Config`], every problem reported at once.
//!
//! Here are the entry points ([`load`], [`load_with`], [`import`], [`parse`]), the `Compiler`
//! that gathers every diagnostic, the file's top level (account, credentials, tracing, admin,
//! endpoints) and the checks its parts share; each part is compiled in its own module:
//! functions, HTTP APIs and their routes, their authorizers and parameter mappings, stages and
//! throttles, REST APIs and WebSocket APIs.

mod authorizers;
mod functions;
mod http;
mod mappings;
mod rest;
mod stages;
mod websocket;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_saphyr::Spanned;

use crate::diagnostics::{ConfigError, Diagnostic, suggestion};
use crate::raw::RawConfig;
use crate::template::{self, Options as TemplateOptions, Translated};
use crate::{Config, Profile};

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
        broken_functions: BTreeSet::new(),
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
    /// Functions declared with errors of their own: what names them is not told again
    /// that they do not exist.
    pub(crate) broken_functions: BTreeSet<String>,
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
        let mut url_names = Vec::new();
        for (crate::raw::Key(name), raw) in raw.functions {
            match self.function(&name, raw, profile) {
                Some(f) => {
                    if f.url.is_some() {
                        url_names.push(name.clone());
                    }
                    functions.insert(name.value, f);
                }
                None => {
                    self.broken_functions.insert(name.value);
                }
            }
        }
        self.same_but_for_case(
            "function",
            &url_names,
            "their Function URLs' host names (<function>.lambda-url.localhost) would be the same, and host names do not keep case",
        );
        let mut apis = BTreeMap::new();
        let mut rest_apis = BTreeMap::new();
        let mut websocket_apis = BTreeMap::new();
        let api_names: Vec<Spanned<String>> = raw.apis.keys().map(|k| k.0.clone()).collect();
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
                "websocket" => {
                    if let Some(api) = self.websocket_api(&name, raw, &functions, profile) {
                        websocket_apis.insert(name.value, api);
                    }
                }
                other => {
                    self.error(
                        &raw.protocol,
                        format!("protocol `{other}` is not served"),
                        "use `http` (HTTP APIs), `rest` (REST APIs) or `websocket` (WebSocket APIs)",
                    );
                    // Its other problems are worth knowing now too.
                    self.api(&name, raw, &functions, profile);
                }
            }
        }
        self.same_but_for_case(
            "API",
            &api_names,
            "their host names (<api>.execute-api.localhost) would be the same, and host names do not keep case",
        );
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
            websocket_apis,
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

    /// Reports each of `fields` (a key and whether it was given) that was given where it is
    /// not taken: `message(key)` at `place`, with `help`.
    pub(crate) fn not_taken<T>(
        &mut self,
        place: &Spanned<T>,
        fields: &[(&str, bool)],
        message: impl Fn(&str) -> String,
        help: &str,
    ) {
        for (field, _) in fields.iter().filter(|(_, given)| *given) {
            self.error(place, message(field), help);
        }
    }

    /// Reports names that differ only in case (`what` they name and `why` that matters): the
    /// second of each pair, as `names` come.
    fn same_but_for_case(&mut self, what: &str, names: &[Spanned<String>], why: &str) {
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for name in names {
            if let Some(first) = seen.insert(name.value.to_ascii_lowercase(), &name.value) {
                self.error(
                    name,
                    format!(
                        "{what} names `{first}` and `{}` differ only in case",
                        name.value
                    ),
                    format!("rename one: {why}"),
                );
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

/// Whether `url` is an `http://` or `https://` URL with a host.
fn is_web_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.and_then(|r| r.split(['/', '?', '#']).next())
        .is_some_and(|host| !host.is_empty() && !host.starts_with(':'))
}
