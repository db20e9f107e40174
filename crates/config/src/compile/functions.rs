//! Functions: runtime, code, handler, layers, build, limits, environment and a web app's
//! server and readiness check.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_saphyr::Spanned;

use super::Compiler;
use crate::diagnostics::{did_you_mean, suggestion};
use crate::raw::{Key, RawAlias, RawFunction, RawUrl};
use crate::{
    Alias, Function, FunctionRef, FunctionUrl, HealthyStatus, Limits, Profile, Readiness,
    ReadinessProtocol, Runtime, WebApp,
};

const DEFAULT_TIMEOUT_S: u64 = 3;
const MAX_TIMEOUT_S: u64 = 900;
const DEFAULT_MEMORY_MB: u32 = 128;
const MEMORY_RANGE_MB: (u32, u32) = (128, 10240);
const DEFAULT_CONCURRENCY: u32 = 10;
const DEFAULT_IDLE_TIMEOUT_S: u64 = 300;

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

impl Compiler {
    pub(super) fn function(
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
        let url = raw.url.take().map(|u| self.function_url(u));
        let aliases = self.aliases(std::mem::take(&mut raw.aliases));
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
            aliases,
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

    /// Reports `function` if no function has that name (a function declared with errors of
    /// its own has been reported already); `what` says who names it.
    pub(crate) fn known_function(
        &mut self,
        function: &Spanned<String>,
        what: &str,
        functions: &BTreeMap<String, Function>,
    ) {
        self.known_name(function, &function.value, what, functions);
    }

    /// `name` checked as [`Compiler::known_function`] checks it, reported at `place`.
    fn known_name(
        &mut self,
        place: &Spanned<String>,
        name: &str,
        what: &str,
        functions: &BTreeMap<String, Function>,
    ) -> bool {
        if functions.contains_key(name) || self.broken_functions.contains(name) {
            return true;
        }
        let names = functions.keys().chain(&self.broken_functions);
        let suggestion = did_you_mean(name, names.map(String::as_str))
            .map(|k| format!("did you mean `{k}`? "))
            .unwrap_or_default();
        self.error(
            place,
            format!("{what} invokes `{name}`, which is not a function here"),
            format!("{suggestion}functions are declared under `functions:`"),
        );
        false
    }

    /// The function an integration invokes, `name` or `name:qualifier` (an alias or a
    /// published version), each part checked.
    pub(crate) fn invoked_function(
        &mut self,
        function: &Spanned<String>,
        what: &str,
        functions: &BTreeMap<String, Function>,
    ) -> FunctionRef {
        let target = FunctionRef::parse(&function.value);
        if !self.known_name(function, &target.name, what, functions) {
            return target;
        }
        if let (Some(f), Some(qualifier)) = (functions.get(&target.name), &target.qualifier)
            && f.version_of(Some(qualifier)).is_none()
        {
            let aliases: Vec<&str> = f.aliases.keys().map(String::as_str).collect();
            let has = match (aliases.is_empty(), f.published()) {
                (true, _) => "it has none".to_string(),
                (false, n) => format!("it has {} (versions 1 to {n})", aliases.join(", ")),
            };
            self.error(
                function,
                format!(
                    "{what} invokes `{target}`, but `{}` has no alias or version `{qualifier}`",
                    target.name
                ),
                format!("declare it under the function's `aliases:` (`{qualifier}: {{}}`); {has}"),
            );
        }
        target
    }

    /// A function's aliases: names as Lambda allows them (not all digits), versions from 1,
    /// and URLs whose host names (`<alias>.<function>.lambda-url.localhost`) differ.
    fn aliases(&mut self, raw: BTreeMap<Key, RawAlias>) -> BTreeMap<String, Alias> {
        let mut aliases = BTreeMap::new();
        let mut url_names = Vec::new();
        for (Key(name), alias) in raw {
            let valid = !name.value.is_empty()
                && name.value.len() <= 128
                && name
                    .value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !name.value.bytes().all(|b| b.is_ascii_digit());
            if !valid {
                self.error(
                    &name,
                    format!("`{}` is not a valid alias name", name.value),
                    "use 1 to 128 letters, digits, hyphens or underscores, not digits alone (those name versions)",
                );
            }
            let version = match alias.version {
                Some(v) if v.value == 0 => {
                    self.error(
                        &v,
                        "version 0 is not a published version",
                        "versions are numbered from 1; leave `version` out for 1",
                    );
                    1
                }
                Some(v) => v.value,
                None => 1,
            };
            if alias.url.is_some() {
                url_names.push(name.clone());
            }
            let url = alias.url.map(|u| self.function_url(u));
            aliases.insert(name.value, Alias { version, url });
        }
        self.same_but_for_case(
            "alias",
            &url_names,
            "their Function URLs' host names (<alias>.<function>.lambda-url.localhost) would be the same, and host names do not keep case",
        );
        aliases
    }

    fn function_url(&mut self, raw: RawUrl) -> FunctionUrl {
        FunctionUrl {
            auth: raw.auth,
            invoke_mode: raw.invoke_mode,
            cors: raw.cors.map(|c| self.cors(c)),
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
