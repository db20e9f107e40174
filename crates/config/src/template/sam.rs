//! SAM's resources (`AWS::Serverless::*`) as Portico's functions and APIs.
//!
//! What SAM would expand on deploy is done here the way SAM does it: `Globals` merged into
//! each function, API events gathered into the APIs they name (or the implicit
//! `ServerlessRestApi`, stage `Prod`, and `ServerlessHttpApi`, stage `$default`), a REST API's
//! methods, authorizers, models and CORS written as the Swagger document SAM would generate
//! (which Portico's OpenAPI importer then reads), an HTTP API's as Portico's own routes.

use serde_json::{Map, Value, json};

use super::Translation;
use super::yaml::child;

/// The implicit REST API of `Api` events without a `RestApiId`.
pub const IMPLICIT_REST_API: &str = "ServerlessRestApi";
/// The implicit HTTP API of `HttpApi` events without an `ApiId`.
pub const IMPLICIT_HTTP_API: &str = "ServerlessHttpApi";

/// Function properties that change nothing Portico does (deployment, permissions, network).
const FUNCTION_PROPERTIES_IGNORED: &[&str] = &[
    "Architectures",
    "AssumeRolePolicyDocument",
    "AutoPublishAliasAllProperties",
    "AutoPublishCodeSha256",
    "CodeSigningConfigArn",
    "DeadLetterQueue",
    "DeploymentPreference",
    "Description",
    "EphemeralStorage",
    "EventInvokeConfig",
    "FileSystemConfigs",
    "FunctionName",
    "KmsKeyArn",
    "LoggingConfig",
    "PermissionsBoundary",
    "Policies",
    "PropagateTags",
    "ProvisionedConcurrencyConfig",
    "RecursiveLoop",
    "Role",
    "RolePath",
    "RuntimeManagementConfig",
    "SnapStart",
    "Tags",
    "Tracing",
    "VersionDescription",
    "VpcConfig",
];

/// Function properties Portico reads.
const FUNCTION_PROPERTIES_READ: &[&str] = &[
    "CodeUri",
    "InlineCode",
    "Handler",
    "Runtime",
    "MemorySize",
    "Timeout",
    "Environment",
    "ReservedConcurrentExecutions",
    "Events",
    "FunctionUrlConfig",
    "AutoPublishAlias",
    "Layers",
    "PackageType",
    "ImageUri",
    "ImageConfig",
];

/// A REST or HTTP API being gathered: its resource's properties and the routes its
/// functions' events add.
#[derive(Default)]
pub struct GatheredApi {
    /// The template pointer of its resource; `None` for an implicit API.
    pub pointer: Option<String>,
    pub properties: Map<String, Value>,
    pub events: Vec<Event>,
}

impl GatheredApi {
    /// Where the API was written: its resource, or (an implicit API) its first event.
    fn at(&self) -> String {
        self.pointer.clone().unwrap_or_else(|| {
            self.events
                .first()
                .map(|e| e.pointer.clone())
                .unwrap_or_default()
        })
    }
}

/// One `Api` or `HttpApi` event of a function.
pub struct Event {
    pub function: String,
    /// The event's template pointer.
    pub pointer: String,
    pub properties: Map<String, Value>,
}

impl Translation<'_> {
    /// An `AWS::Serverless::Function`, with `Globals.Function` merged in.
    pub(super) fn serverless_function(
        &mut self,
        id: &str,
        name: &str,
        properties: &Map<String, Value>,
        metadata: &Map<String, Value>,
        globals: &Map<String, Value>,
    ) {
        let at = format!("/Resources/{id}/Properties");
        let mut props = merge_globals(globals, properties);
        // A property whose value failed to resolve is reported already.
        props.retain(|_, v| !v.is_null());
        // Where a property was written: the resource's own, else Globals'.
        let from = |key: &str| {
            if properties.contains_key(key) {
                child(&at, key)
            } else if globals.contains_key(key) {
                child("/Globals/Function", key)
            } else {
                format!("/Resources/{id}")
            }
        };
        for key in props.keys() {
            if !FUNCTION_PROPERTIES_READ.contains(&key.as_str())
                && !FUNCTION_PROPERTIES_IGNORED.contains(&key.as_str())
            {
                self.warn(
                    &from(key),
                    format!("`{key}` of AWS::Serverless::Function is not read by Portico"),
                    "it has no effect here",
                );
            }
        }
        let out = format!("/functions/{}", name.replace('~', "~0").replace('/', "~1"));
        self.origin(&out, &format!("/Resources/{id}"));
        let mut f = Map::new();
        if props.get("PackageType").and_then(Value::as_str) == Some("Image")
            || props.contains_key("ImageUri")
        {
            self.error(
                &from("PackageType"),
                format!("function `{id}` is a container image, which Portico does not run"),
                "package it as a zip: give `CodeUri` (its code folder), `Handler` and `Runtime`",
            );
            return;
        }
        match props.get("Runtime") {
            Some(Value::String(runtime)) => {
                f.insert("runtime".into(), runtime.clone().into());
                self.origin(&format!("{out}/runtime"), &from("Runtime"));
            }
            _ => {
                self.error(
                    &from("Runtime"),
                    format!("function `{id}` has no `Runtime`"),
                    "give one, e.g. `Runtime: python3.12`, here or under `Globals: Function:`",
                );
            }
        }
        if let Some(handler) = props.get("Handler") {
            f.insert("handler".into(), scalar_text(handler).into());
            self.origin(&format!("{out}/handler"), &from("Handler"));
        }
        match (props.get("CodeUri"), props.get("InlineCode")) {
            (_, Some(inline)) => {
                let handler = props.get("Handler").map(scalar_text).unwrap_or_default();
                let runtime = props.get("Runtime").map(scalar_text).unwrap_or_default();
                if let Some(code) = self.inline_code(id, &runtime, &handler, inline, &from("InlineCode")) {
                    f.insert("code".into(), code.into());
                    self.origin(&format!("{out}/code"), &from("InlineCode"));
                }
            }
            (Some(Value::String(uri)), None) => {
                let code = self.code_folder(id, uri);
                let runtime = props.get("Runtime").map(scalar_text).unwrap_or_default();
                let built = code.starts_with(".aws-sam/");
                if !built && let Some(build) = self.build_method(id, &runtime, &code, metadata) {
                    f.insert("build".into(), build);
                    self.origin(&format!("{out}/build"), &format!("/Resources/{id}"));
                }
                f.insert("code".into(), code.into());
                self.origin(&format!("{out}/code"), &from("CodeUri"));
            }
            (Some(_), None) => self.error(
                &from("CodeUri"),
                format!("the code of `{id}` is not a local folder"),
                "point `CodeUri` at the function's code folder, relative to the template (an S3 location cannot be read here)",
            ),
            (None, None) => self.error(
                &format!("/Resources/{id}"),
                format!("function `{id}` has no `CodeUri`"),
                "give `CodeUri`: the folder of its code, relative to the template",
            ),
        }
        self.lambda_settings(id, &props, &out, &from, &mut f);
        // SAM publishes a version and points the alias at it; the API events and the
        // Function URL then invoke the alias.
        let alias = match props.get("AutoPublishAlias") {
            None => None,
            Some(Value::String(alias)) => Some(alias.clone()),
            Some(other) => {
                self.error(
                    &from("AutoPublishAlias"),
                    format!("`AutoPublishAlias` is {}, not an alias name", kind(other)),
                    "write `AutoPublishAlias: live`",
                );
                None
            }
        };
        let url = props.get("FunctionUrlConfig").map(|url| {
            let url_at = from("FunctionUrlConfig");
            let out = match &alias {
                Some(alias) => format!("{out}/aliases/{alias}/url"),
                None => format!("{out}/url"),
            };
            self.origin(&out, &url_at);
            self.function_url(url, &url_at)
        });
        let invoked = match &alias {
            Some(alias) => {
                let mut entry = Map::new();
                if let Some(url) = url {
                    entry.insert("url".into(), url);
                }
                self.origin(&format!("{out}/aliases/{alias}"), &from("AutoPublishAlias"));
                f.insert("aliases".into(), json!({ alias: entry }));
                format!("{name}:{alias}")
            }
            None => {
                if let Some(url) = url {
                    f.insert("url".into(), url);
                }
                name.to_string()
            }
        };
        self.lambda_web_adapter(id, &props, &mut f, &out, &from("Handler"));
        self.functions.insert(name.to_string(), Value::Object(f));
        if let Some(events) = props.get("Events").and_then(Value::as_object) {
            for (event_id, event) in events {
                self.event(
                    id,
                    &invoked,
                    event_id,
                    event,
                    &child(&from("Events"), event_id),
                );
            }
        }
    }

    /// A function made for the Lambda Web Adapter's zip layer (`AWS_LAMBDA_EXEC_WRAPPER:
    /// /opt/bootstrap`, with `AWS_LWA_PORT` or the adapter's public layer), when that layer
    /// was not given with `--layer`: served as `runtime: web`, its `Handler` (`run.sh`) run
    /// as the web server, as the adapter's bootstrap runs it. Given the layer, the adapter
    /// itself runs (its extension and wrapper), and nothing changes here.
    fn lambda_web_adapter(
        &mut self,
        id: &str,
        props: &Map<String, Value>,
        f: &mut Map<String, Value>,
        out: &str,
        handler_at: &str,
    ) {
        let variables = props
            .get("Environment")
            .and_then(|e| e.get("Variables"))
            .and_then(Value::as_object);
        let variable = |name: &str| variables.and_then(|v| v.get(name)).map(scalar_text);
        let is_adapter_layer = |arn: &str| {
            let parts: Vec<&str> = arn.split(':').collect();
            parts.len() == 8
                && parts[4] == "753240598075"
                && parts[5] == "layer"
                && matches!(
                    parts[6],
                    "LambdaAdapterLayerX86" | "LambdaAdapterLayerArm64"
                )
        };
        let layer = props
            .get("Layers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(scalar_text)
            .find(|arn| is_adapter_layer(arn));
        let given = layer.as_deref().is_some_and(|arn| {
            let unversioned = arn.rsplit_once(':').map_or(arn, |(a, _)| a);
            self.layers.contains_key(arn) || self.layers.contains_key(unversioned)
        });
        let wrapped = variable("AWS_LAMBDA_EXEC_WRAPPER").as_deref() == Some("/opt/bootstrap");
        if !wrapped || given || (layer.is_none() && variable("AWS_LWA_PORT").is_none()) {
            return;
        }
        let handler = props.get("Handler").map(scalar_text).unwrap_or_default();
        if handler.is_empty() {
            self.error(
                handler_at,
                format!("`{id}` runs behind the Lambda Web Adapter but has no `Handler`"),
                "give its start-up script as the Handler, as the adapter runs it: `Handler: run.sh`",
            );
            return;
        }
        f.insert("runtime".into(), "web".into());
        f.insert("command".into(), json!([format!("./{handler}")]));
        self.origin(&format!("{out}/command"), handler_at);
        if let Some(Value::Object(env)) = f.get_mut("environment") {
            env.remove("AWS_LAMBDA_EXEC_WRAPPER");
            if env.is_empty() {
                f.remove("environment");
            }
        }
        if let Some(arn) = layer {
            // Not missing after all: what it would do, Portico does.
            self.warnings.retain(|w| {
                !(w.message.contains(&arn) && w.message.contains("is not on this machine"))
            });
            self.warn(
                &format!("/Resources/{id}/Properties/Layers"),
                format!(
                    "`{id}` runs behind the Lambda Web Adapter (`{arn}`); Portico serves it as `runtime: web`, its Handler `{handler}` as the web server"
                ),
                format!("to run the adapter itself, pass `--layer {arn}=DIR` with the adapter's layer in DIR"),
            );
        }
    }

    /// The folders of a function's `Layers` (ARNs), in order: the template's own layers and
    /// those the user named with `--layer ARN=DIR`; any other is a warning that says how to
    /// provide it.
    pub(super) fn layer_folders(&mut self, id: &str, layers: &[Value], at: &str) -> Vec<Value> {
        let mut folders = Vec::new();
        for (i, layer) in layers.iter().enumerate() {
            let arn = scalar_text(layer);
            // `--layer` may name an ARN with or without its version.
            let unversioned = arn.rsplit_once(':').map_or(arn.as_str(), |(a, _)| a);
            match self
                .layers
                .get(&arn)
                .or_else(|| self.layers.get(unversioned))
            {
                Some(folder) => folders.push(Value::String(folder.clone())),
                None if let Some(packages) = public_layer(&arn) => {
                    folders.extend(packages.iter().map(|p| Value::String(p.to_string())));
                }
                None => self.warn(
                    &format!("{at}/{i}"),
                    format!("the layer `{arn}` of `{id}` is not on this machine"),
                    format!(
                        "download or build its contents into a folder and pass `--layer {arn}=DIR`"
                    ),
                ),
            }
        }
        folders
    }

    /// How `sam build` would build the function: its `Metadata: BuildMethod` (`makefile`,
    /// `rust-cargolambda` with `BuildProperties: Binary`), else by its runtime, when its
    /// folder has a requirements.txt (Python) or a package.json with dependencies (Node).
    fn build_method(
        &mut self,
        id: &str,
        runtime: &str,
        code: &str,
        metadata: &Map<String, Value>,
    ) -> Option<Value> {
        let at = format!("/Resources/{id}/Metadata/BuildMethod");
        match metadata.get("BuildMethod").map(scalar_text).as_deref() {
            Some("makefile") => return Some("makefile".into()),
            Some("rust-cargolambda") => {
                let binary = metadata
                    .get("BuildProperties")
                    .and_then(|p| p.get("Binary"))
                    .map(scalar_text);
                return Some(match binary {
                    Some(binary) => json!({"method": "cargo-lambda", "binary": binary}),
                    None => "cargo-lambda".into(),
                });
            }
            Some(method)
                if method != runtime
                    && !method.starts_with("python")
                    && !method.starts_with("nodejs") =>
            {
                self.warn(
                    &at,
                    format!("the build method `{method}` of `{id}` is not run by Portico"),
                    "build the function yourself (e.g. `sam build`, which Portico then uses from .aws-sam/build), or use makefile",
                );
                return None;
            }
            _ => {}
        }
        let folder = self.base.join(code);
        // A requirements.txt of comments only (as `sam init` ships one) has nothing to install.
        let requirements =
            std::fs::read_to_string(folder.join("requirements.txt")).is_ok_and(|text| {
                text.lines()
                    .any(|line| !line.split('#').next().unwrap_or("").trim().is_empty())
            });
        if runtime.starts_with("python") && requirements {
            return Some("pip".into());
        }
        let dependencies = std::fs::read_to_string(folder.join("package.json"))
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .and_then(|package| {
                package
                    .get("dependencies")
                    .and_then(Value::as_object)
                    .map(|d| !d.is_empty())
            })
            .unwrap_or(false);
        (runtime.starts_with("nodejs") && dependencies).then(|| "npm".into())
    }

    /// The settings a SAM and a CloudFormation function share, from their properties (where
    /// `from` says each was written) into the function `f` at config pointer `out`:
    /// `Timeout`, `MemorySize`, `ReservedConcurrentExecutions`, `Environment` and `Layers`.
    pub(super) fn lambda_settings(
        &mut self,
        id: &str,
        props: &Map<String, Value>,
        out: &str,
        from: &dyn Fn(&str) -> String,
        f: &mut Map<String, Value>,
    ) {
        for (key, out_key) in [
            ("Timeout", "timeout"),
            ("MemorySize", "memory"),
            ("ReservedConcurrentExecutions", "concurrency"),
        ] {
            if let Some(value) = props.get(key) {
                match number(value) {
                    Some(n) => {
                        f.insert(out_key.into(), n.into());
                        self.origin(&format!("{out}/{out_key}"), &from(key));
                    }
                    None => self.error(
                        &from(key),
                        format!("`{key}` is {}, not a number", kind(value)),
                        format!("write a whole number, e.g. `{key}: 30`"),
                    ),
                }
            }
        }
        let variables = props
            .get("Environment")
            .and_then(|e| e.get("Variables"))
            .and_then(Value::as_object);
        let mut env = Map::new();
        for (k, v) in variables.into_iter().flatten() {
            env.insert(k.clone(), scalar_text(v).into());
            self.origin(
                &child(&format!("{out}/environment"), k),
                &child(&child(&from("Environment"), "Variables"), k),
            );
        }
        if !env.is_empty() {
            f.insert("environment".into(), Value::Object(env));
        }
        if let Some(layers) = props.get("Layers").and_then(Value::as_array) {
            let folders = self.layer_folders(id, layers, &from("Layers"));
            if !folders.is_empty() {
                f.insert("layers".into(), folders.into());
                self.origin(&format!("{out}/layers"), &from("Layers"));
            }
        }
    }

    /// The code folder, relative to the template: what `sam build` made for it when that
    /// exists, else `CodeUri`.
    fn code_folder(&self, id: &str, uri: &str) -> String {
        let built = format!(".aws-sam/build/{id}");
        if self.base.join(&built).is_dir() {
            built
        } else {
            uri.to_string()
        }
    }

    /// `FunctionUrlConfig` as a function's `url:`.
    pub(super) fn function_url(&mut self, config: &Value, at: &str) -> Value {
        let mut url = Map::new();
        match config.get("AuthType").and_then(Value::as_str) {
            Some("NONE") => {
                url.insert("auth".into(), "none".into());
            }
            Some("AWS_IAM") => {
                url.insert("auth".into(), "aws_iam".into());
            }
            other => self.error(
                &child(at, "AuthType"),
                format!(
                    "`AuthType` is {}, not NONE or AWS_IAM",
                    other.map_or("missing".to_string(), |o| format!("`{o}`"))
                ),
                "write `AuthType: NONE` or `AuthType: AWS_IAM`",
            ),
        }
        match config.get("InvokeMode").and_then(Value::as_str) {
            None | Some("BUFFERED") => {}
            Some("RESPONSE_STREAM") => {
                url.insert("invoke_mode".into(), "response_stream".into());
            }
            Some(other) => self.error(
                &child(at, "InvokeMode"),
                format!("`InvokeMode` is `{other}`, not BUFFERED or RESPONSE_STREAM"),
                "write `InvokeMode: BUFFERED` or `InvokeMode: RESPONSE_STREAM`",
            ),
        }
        if let Some(cors) = config.get("Cors") {
            url.insert("cors".into(), cors_config(cors));
        }
        Value::Object(url)
    }

    /// One event of function `id`: API events join their API; any other type is listed as
    /// not served.
    fn event(&mut self, id: &str, function: &str, event_id: &str, event: &Value, at: &str) {
        let kind = event.get("Type").and_then(Value::as_str).unwrap_or("");
        let properties = event
            .get("Properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let gathered = Event {
            function: function.to_string(),
            pointer: at.to_string(),
            properties,
        };
        match kind {
            "Api" => {
                let Some(api) = self.event_api(&gathered, "RestApiId", IMPLICIT_REST_API, "AWS::Serverless::Api") else {
                    return;
                };
                if let Some(gathering) = self.rest_apis.get_mut(&api) {
                    gathering.events.push(gathered);
                } else {
                    self.rest_apis.insert(api, GatheredApi { events: vec![gathered], ..Default::default() });
                }
            }
            "HttpApi" => {
                let Some(api) = self.event_api(&gathered, "ApiId", IMPLICIT_HTTP_API, "AWS::Serverless::HttpApi") else {
                    return;
                };
                if let Some(gathering) = self.http_apis.get_mut(&api) {
                    gathering.events.push(gathered);
                } else {
                    self.http_apis.insert(api, GatheredApi { events: vec![gathered], ..Default::default() });
                }
            }
            "" => self.error(
                at,
                format!("event `{event_id}` of `{id}` has no `Type`"),
                "give its type, e.g. `Type: Api`",
            ),
            other => self.warn(
                &child(at, "Type"),
                format!("event `{event_id}` of `{id}` is of type {other}, which Portico does not serve"),
                "only Api and HttpApi events reach functions here; invoke the function with `portico invoke` or the Invoke API to try it with such an event",
            ),
        }
    }

    /// The API an `Api` or `HttpApi` event names by `key` (`RestApiId`, `ApiId`): one of the
    /// template's APIs of type `kind`, else `implicit`.
    fn event_api(
        &mut self,
        event: &Event,
        key: &str,
        implicit: &str,
        kind: &str,
    ) -> Option<String> {
        let at = child(&child(&event.pointer, "Properties"), key);
        let known = |me: &Self, api: &str| match kind {
            "AWS::Serverless::Api" => me.rest_apis.contains_key(api),
            _ => me.http_apis.contains_key(api),
        };
        match event.properties.get(key) {
            None => Some(implicit.to_string()),
            Some(Value::String(api)) if api == implicit || known(self, api) => Some(api.clone()),
            Some(Value::String(api)) => {
                self.error(
                    &at,
                    format!("`{api}` is not an {kind} of this template"),
                    format!("name one, or leave `{key}` out for the implicit API"),
                );
                None
            }
            Some(_) => {
                self.error(
                    &at,
                    format!("`{key}` does not name an API of this template"),
                    format!("write `{key}: !Ref MyApi`, MyApi being an {kind}"),
                );
                None
            }
        }
    }

    /// A REST API gathered from its resource and events, as Portico's `protocol: rest` with
    /// the Swagger document SAM would generate.
    pub(super) fn emit_rest_api(&mut self, name: &str, api: GatheredApi) -> Value {
        let at = api.at();
        let props = &api.properties;
        let prop_at = |key: &str| child(&child(&at, "Properties"), key);
        let mut doc = match props.get("DefinitionBody") {
            Some(Value::Object(body)) => body.clone(),
            Some(_) => {
                self.error(
                    &prop_at("DefinitionBody"),
                    "`DefinitionBody` is not an OpenAPI document",
                    "write the document as a mapping, or name its file with `DefinitionUri`",
                );
                Map::new()
            }
            None => match props.get("DefinitionUri") {
                Some(Value::String(file)) => self.definition_file(file, &prop_at("DefinitionUri")),
                Some(_) => {
                    self.error(
                        &prop_at("DefinitionUri"),
                        "`DefinitionUri` is not a local file",
                        "name the OpenAPI file, relative to the template",
                    );
                    Map::new()
                }
                None => Map::new(),
            },
        };
        if !doc.contains_key("swagger") && !doc.contains_key("openapi") {
            doc.insert("swagger".into(), "2.0".into());
        }
        doc.entry("info")
            .or_insert_with(|| json!({"title": name, "version": "1.0"}));
        let auth = props.get("Auth").cloned().unwrap_or(Value::Null);
        let mut security_definitions = Map::new();
        let authorizers = auth.get("Authorizers").and_then(Value::as_object).cloned();
        for (auth_name, authorizer) in authorizers.iter().flatten() {
            let auth_at = child(&child(&prop_at("Auth"), "Authorizers"), auth_name);
            if let Some(definition) = self.rest_authorizer(authorizer, &auth_at) {
                security_definitions.insert(auth_name.clone(), definition);
            }
        }
        let default_authorizer = auth.get("DefaultAuthorizer").and_then(Value::as_str);
        let api_key_default = auth.get("ApiKeyRequired").and_then(Value::as_bool) == Some(true);
        let mut validators = Map::new();
        let paths = doc
            .entry("paths")
            .or_insert_with(|| Value::Object(Map::new()));
        let mut methods = Vec::new();
        for event in &api.events {
            let p = &event.properties;
            let event_at = child(&event.pointer, "Properties");
            let (Some(path), Some(method)) = (
                p.get("Path").and_then(Value::as_str),
                p.get("Method").and_then(Value::as_str),
            ) else {
                self.error(
                    &event_at,
                    "an Api event needs `Path` and `Method`",
                    "write e.g. `Path: /hello` and `Method: get`",
                );
                continue;
            };
            let method = method.to_ascii_lowercase();
            let op_key = if method == "any" {
                "x-amazon-apigateway-any-method".to_string()
            } else {
                method.clone()
            };
            let mut op = Map::new();
            op.insert(
                "x-amazon-apigateway-integration".into(),
                json!({
                    "type": "aws_proxy",
                    "httpMethod": "POST",
                    "uri": self.invocation_uri(&event.function),
                }),
            );
            op.insert("responses".into(), json!({}));
            let event_auth = p.get("Auth").cloned().unwrap_or(Value::Null);
            let authorizer = event_auth
                .get("Authorizer")
                .and_then(Value::as_str)
                .or(default_authorizer);
            let mut security = Map::new();
            match authorizer {
                None | Some("NONE") => {}
                Some("AWS_IAM") => {
                    security_definitions.insert(
                        "AWS_IAM".into(),
                        json!({"type": "apiKey", "name": "Authorization", "in": "header",
                               "x-amazon-apigateway-authtype": "awsSigv4"}),
                    );
                    security.insert("AWS_IAM".into(), json!([]));
                }
                Some(named) => {
                    if !authorizers.as_ref().is_some_and(|a| a.contains_key(named)) {
                        self.error(
                            &child(&event_at, "Auth"),
                            format!("the authorizer `{named}` is not one of the API's `Auth: Authorizers`"),
                            "name one of them, NONE or AWS_IAM",
                        );
                    }
                    let scopes = event_auth
                        .get("AuthorizationScopes")
                        .cloned()
                        .unwrap_or(json!([]));
                    security.insert(named.to_string(), scopes);
                }
            }
            let api_key = event_auth
                .get("ApiKeyRequired")
                .and_then(Value::as_bool)
                .unwrap_or(api_key_default);
            if api_key {
                security_definitions.insert(
                    "api_key".into(),
                    json!({"type": "apiKey", "name": "x-api-key", "in": "header"}),
                );
                security.insert("api_key".into(), json!([]));
            }
            if !security.is_empty() {
                // One requirement naming both: the authorizer and the key are each needed.
                op.insert("security".into(), json!([Value::Object(security)]));
            }
            let mut parameters = Vec::new();
            if let Some(model) = p.get("RequestModel") {
                let model_name = model.get("Model").and_then(Value::as_str).unwrap_or("");
                let defined = props
                    .get("Models")
                    .and_then(Value::as_object)
                    .is_some_and(|m| m.contains_key(model_name));
                if !defined {
                    self.error(
                        &child(&event_at, "RequestModel"),
                        format!("the model `{model_name}` is not one of the API's `Models`"),
                        "define it under the API's `Models:` (a JSON schema), or name one that is",
                    );
                }
                let required = model
                    .get("Required")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                parameters.push(json!({
                    "in": "body",
                    "name": model_name.to_ascii_lowercase(),
                    "required": required,
                    "schema": {"$ref": format!("#/definitions/{model_name}")},
                }));
                let validate_body = model
                    .get("ValidateBody")
                    .and_then(Value::as_bool)
                    .unwrap_or(required);
                let validate_parameters = model
                    .get("ValidateParameters")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                if validate_body || validate_parameters {
                    let validator = match (validate_body, validate_parameters) {
                        (true, true) => "body-and-params",
                        (true, false) => "body-only",
                        _ => "params-only",
                    };
                    validators.insert(
                        validator.to_string(),
                        json!({"validateRequestBody": validate_body,
                               "validateRequestParameters": validate_parameters}),
                    );
                    op.insert(
                        "x-amazon-apigateway-request-validator".into(),
                        validator.into(),
                    );
                }
            }
            if let Some(request_parameters) = p.get("RequestParameters").and_then(Value::as_array) {
                for entry in request_parameters {
                    let (name, required) = match entry {
                        Value::String(s) => (s.clone(), false),
                        Value::Object(o) if o.len() == 1 => {
                            let Some((k, v)) = o.iter().next() else {
                                continue;
                            };
                            (
                                k.clone(),
                                v.get("Required").and_then(Value::as_bool).unwrap_or(false),
                            )
                        }
                        _ => continue,
                    };
                    let (place, parameter) = match name.strip_prefix("method.request.") {
                        Some(rest) => rest.split_once('.').unwrap_or((rest, "")),
                        None => ("", ""),
                    };
                    let place = match place {
                        "header" => "header",
                        "querystring" => "query",
                        "path" => "path",
                        _ => {
                            self.error(
                                &child(&event_at, "RequestParameters"),
                                format!("`{name}` is not a request parameter"),
                                "write method.request.header.<name>, method.request.querystring.<name> or method.request.path.<name>",
                            );
                            continue;
                        }
                    };
                    parameters.push(json!({"in": place, "name": parameter, "required": required, "type": "string"}));
                }
                if validators.is_empty() && !parameters.is_empty() {
                    // SAM validates required parameters only when a RequestModel asks.
                }
            }
            if !parameters.is_empty() {
                op.insert("parameters".into(), Value::Array(parameters));
            }
            methods.push((path.to_string(), op_key, op));
        }
        if let Value::Object(paths) = paths {
            for (path, op_key, op) in methods {
                let item = paths
                    .entry(path)
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(item) = item {
                    let existing = item.get(&op_key).and_then(Value::as_object);
                    let integrated =
                        existing.is_some_and(|e| e.contains_key("x-amazon-apigateway-integration"));
                    if !integrated {
                        item.insert(op_key, Value::Object(op));
                    }
                }
            }
        }
        if let Some(cors) = props.get("Cors") {
            self.rest_cors(&mut doc, cors, &prop_at("Cors"));
        }
        if !security_definitions.is_empty() {
            let existing = if doc.contains_key("openapi") {
                let components = doc
                    .entry("components")
                    .or_insert_with(|| Value::Object(Map::new()));
                match components {
                    Value::Object(c) => c
                        .entry("securitySchemes")
                        .or_insert_with(|| Value::Object(Map::new())),
                    other => other,
                }
            } else {
                doc.entry("securityDefinitions")
                    .or_insert_with(|| Value::Object(Map::new()))
            };
            if let Value::Object(existing) = existing {
                for (k, v) in security_definitions {
                    existing.entry(k).or_insert(v);
                }
            }
        }
        if !validators.is_empty() {
            doc.insert(
                "x-amazon-apigateway-request-validators".into(),
                Value::Object(validators),
            );
        }
        if let Some(models) = props.get("Models").and_then(Value::as_object) {
            let definitions = doc
                .entry("definitions")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(definitions) = definitions {
                for (k, v) in models {
                    definitions.insert(k.clone(), v.clone());
                }
            }
        }
        if let Some(types) = props.get("BinaryMediaTypes").and_then(Value::as_array) {
            doc.insert(
                "x-amazon-apigateway-binary-media-types".into(),
                binary_media_types(types),
            );
        }
        if let Some(responses) = props.get("GatewayResponses").and_then(Value::as_object) {
            doc.insert(
                "x-amazon-apigateway-gateway-responses".into(),
                gateway_responses(responses),
            );
        }
        let out = format!("/apis/{name}");
        self.origin(&out, &at);
        self.origin(&format!("{out}/openapi"), &at);
        let mut emitted = Map::new();
        emitted.insert("protocol".into(), "rest".into());
        emitted.insert("openapi".into(), Value::Object(doc));
        let stage_name = match props.get("StageName") {
            Some(stage) => scalar_text(stage),
            None if api.pointer.is_none() => "Prod".to_string(),
            None => {
                self.error(
                    &at,
                    format!("the API `{name}` has no `StageName`"),
                    "give it one, e.g. `StageName: Prod` (SAM requires it)",
                );
                "Prod".to_string()
            }
        };
        let mut stage = Map::new();
        if let Some(variables) = props.get("Variables").and_then(Value::as_object) {
            let vars: Map<String, Value> = variables
                .iter()
                .map(|(k, v)| (k.clone(), scalar_text(v).into()))
                .collect();
            stage.insert("variables".into(), Value::Object(vars));
        }
        if let Some(settings) = props.get("MethodSettings").and_then(Value::as_array) {
            for setting in settings {
                let everything = setting.get("ResourcePath").and_then(Value::as_str) == Some("/*")
                    && setting.get("HttpMethod").and_then(Value::as_str) == Some("*");
                if !everything {
                    self.warn(
                        &prop_at("MethodSettings"),
                        "method settings for one method are not served; only `ResourcePath: /*`, `HttpMethod: *` ones are",
                        "set the throttle for every method",
                    );
                    continue;
                }
                if let (Some(rate), Some(burst)) = (
                    setting.get("ThrottlingRateLimit").and_then(number_f64),
                    setting.get("ThrottlingBurstLimit").and_then(number),
                ) {
                    stage.insert("throttle".into(), json!({"rate": rate, "burst": burst}));
                }
                if setting.get("CachingEnabled").and_then(Value::as_bool) == Some(true) {
                    let ttl = setting
                        .get("CacheTtlInSeconds")
                        .and_then(number)
                        .unwrap_or(300);
                    stage.insert("cache_ttl".into(), ttl.into());
                }
            }
        }
        if let Some(log) = props.get("AccessLogSetting")
            && let Some(format) = log.get("Format").and_then(Value::as_str)
        {
            stage.insert("access_log".into(), json!({"format": format}));
        }
        let mut stages = Map::new();
        // SAM's deployment is made with `StageName: Stage`, so that stage serves the API too
        // (unless `OpenApiVersion` is set), bare of the named stage's settings.
        if !props.contains_key("OpenApiVersion") {
            stages.insert("Stage".into(), json!({}));
        }
        stages.insert(stage_name, Value::Object(stage));
        emitted.insert("stages".into(), Value::Object(stages));
        if let Some(plan) = auth.get("UsagePlan") {
            self.usage_plan(
                name,
                plan,
                &child(&prop_at("Auth"), "UsagePlan"),
                &mut emitted,
            );
        }
        Value::Object(emitted)
    }

    /// A SAM `Auth: Authorizers:` entry of a REST API as a Swagger security definition.
    fn rest_authorizer(&mut self, authorizer: &Value, at: &str) -> Option<Value> {
        if let Some(pools) = authorizer.get("UserPoolArn") {
            let pools = match pools {
                Value::Array(a) => a.clone(),
                other => vec![other.clone()],
            };
            let header = authorizer
                .get("Identity")
                .and_then(|i| i.get("Header"))
                .and_then(Value::as_str)
                .unwrap_or("Authorization");
            return Some(json!({
                "type": "apiKey", "name": header, "in": "header",
                "x-amazon-apigateway-authtype": "cognito_user_pools",
                "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools", "providerARNs": pools},
            }));
        }
        let Some(function) = authorizer.get("FunctionArn").and_then(Value::as_str) else {
            self.error(
                at,
                "an authorizer needs `FunctionArn` (a Lambda authorizer) or `UserPoolArn` (Cognito)",
                "write `FunctionArn: !GetAtt MyAuthFunction.Arn`",
            );
            return None;
        };
        let function = self.function_of_arn(function, &child(at, "FunctionArn"))?;
        let identity = authorizer.get("Identity").cloned().unwrap_or(Value::Null);
        let ttl = identity
            .get("ReauthorizeEvery")
            .and_then(number)
            .unwrap_or(300);
        let uri = self.invocation_uri(&function);
        let payload = authorizer
            .get("FunctionPayloadType")
            .and_then(Value::as_str)
            .unwrap_or("TOKEN");
        let mut lambda = Map::new();
        lambda.insert("authorizerUri".into(), uri.into());
        lambda.insert("authorizerResultTtlInSeconds".into(), ttl.into());
        let header = match payload {
            "TOKEN" => {
                let header = identity
                    .get("Header")
                    .and_then(Value::as_str)
                    .unwrap_or("Authorization")
                    .to_string();
                lambda.insert("type".into(), "token".into());
                if let Some(expression) =
                    identity.get("ValidationExpression").and_then(Value::as_str)
                {
                    lambda.insert("identityValidationExpression".into(), expression.into());
                }
                header
            }
            "REQUEST" => {
                let mut sources = Vec::new();
                for (key, place) in [
                    ("Headers", "header"),
                    ("QueryStrings", "querystring"),
                    ("StageVariables", "stageVariables"),
                    ("Context", "context"),
                ] {
                    for name in identity
                        .get(key)
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let name = scalar_text(name);
                        sources.push(match place {
                            "stageVariables" | "context" => format!("{place}.{name}"),
                            _ => format!("method.request.{place}.{name}"),
                        });
                    }
                }
                lambda.insert("type".into(), "request".into());
                lambda.insert("identitySource".into(), sources.join(", ").into());
                "Unused".to_string()
            }
            other => {
                self.error(
                    &child(at, "FunctionPayloadType"),
                    format!("`FunctionPayloadType` is `{other}`, not TOKEN or REQUEST"),
                    "write TOKEN or REQUEST",
                );
                return None;
            }
        };
        Some(json!({
            "type": "apiKey", "name": header, "in": "header",
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": Value::Object(lambda),
        }))
    }

    /// SAM's `Cors` on a REST API: an `OPTIONS` method answered by a mock integration on every
    /// path, as SAM generates it.
    fn rest_cors(&mut self, doc: &mut Map<String, Value>, cors: &Value, at: &str) {
        let (origin, methods, headers, max_age, credentials) = match cors {
            Value::String(origin) => (origin.clone(), None, None, None, false),
            Value::Object(o) => (
                o.get("AllowOrigin").map(scalar_text).unwrap_or_default(),
                o.get("AllowMethods").map(scalar_text),
                o.get("AllowHeaders").map(scalar_text),
                o.get("MaxAge").map(scalar_text),
                o.get("AllowCredentials").and_then(Value::as_bool) == Some(true),
            ),
            _ => {
                self.error(
                    at,
                    "`Cors` is neither an origin nor a mapping",
                    "write `Cors: \"'*'\"` or `Cors: {AllowOrigin: \"'https://example.com'\", AllowMethods: \"'GET,POST'\"}`",
                );
                return;
            }
        };
        if origin.is_empty() {
            self.error(
                at,
                "`Cors` has no `AllowOrigin`",
                "write e.g. `AllowOrigin: \"'*'\"`",
            );
            return;
        }
        let Some(Value::Object(paths)) = doc.get_mut("paths") else {
            return;
        };
        for (_, item) in paths.iter_mut() {
            let Value::Object(item) = item else { continue };
            if item.contains_key("options") {
                continue;
            }
            let allow_methods = methods.clone().unwrap_or_else(|| {
                let mut verbs: Vec<String> = item
                    .keys()
                    .filter_map(|k| match k.as_str() {
                        "x-amazon-apigateway-any-method" => {
                            Some("DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT".to_string())
                        }
                        "parameters" | "summary" | "description" | "servers" => None,
                        k if k.starts_with("x-") => None,
                        k => Some(k.to_ascii_uppercase()),
                    })
                    .collect();
                verbs.push("OPTIONS".into());
                verbs.sort();
                verbs.dedup();
                format!("'{}'", verbs.join(","))
            });
            let mut parameters = Map::new();
            let mut headers_out = Map::new();
            let mut put = |name: &str, value: &str| {
                parameters.insert(format!("method.response.header.{name}"), value.into());
                headers_out.insert(name.to_string(), json!({"type": "string"}));
            };
            put("Access-Control-Allow-Origin", &origin);
            put("Access-Control-Allow-Methods", &allow_methods);
            if let Some(h) = &headers {
                put("Access-Control-Allow-Headers", h);
            }
            if let Some(m) = &max_age {
                put("Access-Control-Max-Age", m);
            }
            if credentials {
                put("Access-Control-Allow-Credentials", "'true'");
            }
            item.insert(
                "options".into(),
                json!({
                    "summary": "CORS support",
                    "consumes": ["application/json"],
                    "produces": ["application/json"],
                    "x-amazon-apigateway-integration": {
                        "type": "mock",
                        "requestTemplates": {"application/json": "{\n  \"statusCode\" : 200\n}\n"},
                        "responses": {"default": {
                            "statusCode": "200",
                            "responseParameters": Value::Object(parameters),
                            "responseTemplates": {"application/json": "{}\n"},
                        }},
                    },
                    "responses": {"200": {"description": "Default response for CORS method", "headers": Value::Object(headers_out)}},
                }),
            );
        }
    }

    /// `Auth: UsagePlan:` as an API key and a usage plan of the API.
    fn usage_plan(&mut self, api: &str, plan: &Value, at: &str, emitted: &mut Map<String, Value>) {
        let (plan_name, key_name) = match plan.get("CreateUsagePlan").and_then(Value::as_str) {
            Some("NONE") | None => return,
            Some("PER_API") => (format!("{api}UsagePlan"), format!("{api}ApiKey")),
            Some("SHARED") => (
                "ServerlessUsagePlan".to_string(),
                "ServerlessApiKey".to_string(),
            ),
            Some(other) => {
                self.error(
                    &child(at, "CreateUsagePlan"),
                    format!("`CreateUsagePlan` is `{other}`, not PER_API, SHARED or NONE"),
                    "write PER_API, SHARED or NONE",
                );
                return;
            }
        };
        let mut usage = Map::new();
        if let Some(throttle) = plan.get("Throttle")
            && let (Some(rate), Some(burst)) = (
                throttle.get("RateLimit").and_then(number_f64),
                throttle.get("BurstLimit").and_then(number),
            )
        {
            usage.insert("throttle".into(), json!({"rate": rate, "burst": burst}));
        }
        if let Some(quota) = plan.get("Quota")
            && let (Some(limit), Some(period)) = (
                quota.get("Limit").and_then(number),
                quota.get("Period").and_then(Value::as_str),
            )
        {
            let mut q = json!({"limit": limit, "period": period});
            if let Some(offset) = quota.get("Offset").and_then(number) {
                q["offset"] = offset.into();
            }
            usage.insert("quota".into(), q);
        }
        usage.insert("keys".into(), json!([key_name.clone()]));
        emitted.insert("api_keys".into(), json!({ key_name: {} }));
        emitted.insert("usage_plans".into(), json!({ plan_name: usage }));
    }

    /// An HTTP API gathered from its resource and events, as Portico's `protocol: http`.
    pub(super) fn emit_http_api(&mut self, name: &str, api: GatheredApi) -> Value {
        let at = api.at();
        let props = &api.properties;
        let prop_at = |key: &str| child(&child(&at, "Properties"), key);
        let out = format!("/apis/{name}");
        self.origin(&out, &at);
        let document = match (props.get("DefinitionBody"), props.get("DefinitionUri")) {
            (Some(Value::Object(body)), _) => Some(body.clone()),
            (None, Some(Value::String(file))) => {
                Some(self.definition_file(file, &prop_at("DefinitionUri")))
            }
            (None, None) => None,
            (Some(_), _) | (None, Some(_)) => {
                self.error(
                    &at,
                    "the HTTP API's definition is neither a document nor a local file",
                    "write `DefinitionBody` as a mapping, or name the OpenAPI file with `DefinitionUri`",
                );
                None
            }
        };
        let definition_at = prop_at(if props.contains_key("DefinitionBody") {
            "DefinitionBody"
        } else {
            "DefinitionUri"
        });
        let definition = document
            .map(|doc| self.http_definition(&doc, &definition_at))
            .unwrap_or_default();
        let mut emitted = Map::new();
        emitted.insert("protocol".into(), "http".into());
        let auth = props.get("Auth").cloned().unwrap_or(Value::Null);
        let mut authorizers = definition.authorizers;
        for (auth_name, authorizer) in auth
            .get("Authorizers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let auth_at = child(&child(&prop_at("Auth"), "Authorizers"), auth_name);
            if let Some(a) = self.http_authorizer(authorizer, &auth_at) {
                self.origin(&child(&format!("{out}/authorizers"), auth_name), &auth_at);
                authorizers.insert(auth_name.clone(), a);
            }
        }
        let default_authorizer = auth
            .get("DefaultAuthorizer")
            .and_then(Value::as_str)
            .map(str::to_string);
        // The definition's routes, then the events' (which SAM adds to the definition).
        let mut routes = definition.routes;
        for key in routes.keys() {
            self.origin(&child(&format!("{out}/routes"), key), &definition_at);
        }
        for event in &api.events {
            let p = &event.properties;
            let event_at = child(&event.pointer, "Properties");
            let key = match (
                p.get("Method").and_then(Value::as_str),
                p.get("Path").and_then(Value::as_str),
            ) {
                (None, None) => "$default".to_string(),
                (Some(method), Some(path)) => {
                    let method = method.to_ascii_uppercase();
                    let method = if method == "X-AMAZON-APIGATEWAY-ANY-METHOD" {
                        "ANY".into()
                    } else {
                        method
                    };
                    format!("{method} {path}")
                }
                _ => {
                    self.error(
                        &event_at,
                        "an HttpApi event needs both `Path` and `Method`, or neither (the `$default` route)",
                        "write e.g. `Path: /hello` and `Method: get`",
                    );
                    continue;
                }
            };
            let route_at = child(&format!("{out}/routes"), &key);
            self.origin(&route_at, &event.pointer);
            let mut route = Map::new();
            route.insert("function".into(), event.function.clone().into());
            if let Some(format) = p.get("PayloadFormatVersion") {
                route.insert("payload_format".into(), scalar_text(format).into());
            }
            if let Some(timeout) = p.get("TimeoutInMillis").and_then(number) {
                route.insert("timeout_ms".into(), timeout.into());
                self.origin(
                    &format!("{route_at}/timeout_ms"),
                    &child(&event_at, "TimeoutInMillis"),
                );
            }
            let event_auth = p.get("Auth").cloned().unwrap_or(Value::Null);
            let authorizer = event_auth
                .get("Authorizer")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| default_authorizer.clone());
            match authorizer.as_deref() {
                None | Some("NONE") => {}
                Some("AWS_IAM") => {
                    route.insert("auth".into(), "aws_iam".into());
                }
                Some(named) => {
                    if !authorizers.contains_key(named) {
                        self.error(
                            &child(&event_at, "Auth"),
                            format!("the authorizer `{named}` is not one of the API's `Auth: Authorizers`"),
                            "name one of them, NONE or AWS_IAM",
                        );
                    }
                    route.insert("authorizer".into(), named.into());
                    if let Some(scopes) = event_auth
                        .get("AuthorizationScopes")
                        .and_then(Value::as_array)
                    {
                        route.insert("scopes".into(), Value::Array(scopes.clone()));
                    }
                }
            }
            if let Some(settings) = p.get("RouteSettings")
                && let Some(throttle) = throttle(settings)
            {
                route.insert("throttle".into(), throttle);
            }
            routes.insert(key, Value::Object(route));
        }
        if !authorizers.is_empty() {
            emitted.insert("authorizers".into(), Value::Object(authorizers));
        }
        emitted.insert("routes".into(), Value::Object(routes));
        match props.get("CorsConfiguration") {
            None => {
                if let Some(cors) = definition.cors {
                    emitted.insert("cors".into(), cors);
                }
            }
            Some(Value::Bool(false)) => {}
            Some(Value::Bool(true)) => {
                emitted.insert(
                    "cors".into(),
                    json!({"allow_origins": ["*"], "allow_methods": ["*"], "allow_headers": ["*"]}),
                );
            }
            Some(cors) => {
                emitted.insert("cors".into(), cors_config(cors));
                self.origin(&format!("{out}/cors"), &prop_at("CorsConfiguration"));
            }
        }
        let stage_name = props
            .get("StageName")
            .map(scalar_text)
            .unwrap_or_else(|| "$default".to_string());
        emitted.insert("stages".into(), json!({ stage_name: http_stage(props) }));
        Value::Object(emitted)
    }

    /// A SAM `Auth: Authorizers:` entry of an HTTP API as a Portico authorizer.
    fn http_authorizer(&mut self, authorizer: &Value, at: &str) -> Option<Value> {
        if let Some(jwt) = authorizer.get("JwtConfiguration") {
            let Some(issuer) = jwt.get("issuer").and_then(Value::as_str) else {
                self.error(
                    &child(at, "JwtConfiguration"),
                    "a JWT authorizer needs `issuer`",
                    "write `JwtConfiguration: {issuer: https://..., audience: [...]}`",
                );
                return None;
            };
            let mut a = json!({"type": "jwt", "issuer": issuer});
            if let Some(audience) = jwt.get("audience") {
                a["audience"] = match audience {
                    Value::Array(items) => Value::Array(items.clone()),
                    other => json!([scalar_text(other)]),
                };
            }
            if let Some(source) = authorizer.get("IdentitySource") {
                a["identity_source"] = json!([scalar_text(source)]);
            }
            return Some(a);
        }
        let Some(function) = authorizer.get("FunctionArn").and_then(Value::as_str) else {
            self.error(
                at,
                "an authorizer needs `JwtConfiguration` (JWT) or `FunctionArn` (Lambda)",
                "write `FunctionArn: !GetAtt MyAuthFunction.Arn`",
            );
            return None;
        };
        let function = self.function_of_arn(function, &child(at, "FunctionArn"))?;
        let mut a = json!({"type": "lambda", "function": function});
        if let Some(format) = authorizer.get("AuthorizerPayloadFormatVersion") {
            a["payload_format"] = scalar_text(format).into();
        }
        if authorizer
            .get("EnableSimpleResponses")
            .and_then(Value::as_bool)
            == Some(true)
        {
            a["simple_responses"] = true.into();
        }
        let identity = authorizer.get("Identity").cloned().unwrap_or(Value::Null);
        let mut sources = Vec::new();
        for (key, place) in [("Headers", "header"), ("QueryStrings", "querystring")] {
            for name in identity
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                sources.push(Value::String(format!(
                    "$request.{place}.{}",
                    scalar_text(name)
                )));
            }
        }
        if !sources.is_empty() {
            a["identity_source"] = Value::Array(sources);
        }
        if let Some(ttl) = identity.get("ReauthorizeEvery").and_then(number) {
            a["ttl"] = ttl.into();
        }
        Some(a)
    }

    /// The function an ARN names (`arn:aws:lambda:...:function:Name`), which must be one of
    /// the template's.
    pub(super) fn function_of_arn(&mut self, arn: &str, at: &str) -> Option<String> {
        let name = arn
            .split(':')
            .nth(6)
            .filter(|_| arn.starts_with("arn:") && arn.split(':').nth(5) == Some("function"))
            .unwrap_or(arn);
        if self.function_names.contains(name) {
            Some(name.to_string())
        } else {
            self.error(
                at,
                format!("`{arn}` is not a function of this template"),
                "write `!GetAtt MyFunction.Arn`, MyFunction being a function of this template",
            );
            None
        }
    }

    /// API Gateway's URI for invoking `function` from an API.
    fn invocation_uri(&self, function: &str) -> String {
        format!(
            "arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/arn:aws:lambda:{region}:{account}:function:{function}/invocations",
            region = self.region,
            account = self.account_id,
        )
    }
}

/// The registry packages that make up a public layer Portico knows by its ARN: Powertools
/// for AWS Lambda, whose layers are built from PyPI's `aws-lambda-powertools` and npm's
/// `@aws-lambda-powertools/*`.
fn public_layer(arn: &str) -> Option<&'static [&'static str]> {
    let name = arn.split(':').nth(6)?;
    if name.starts_with("AWSLambdaPowertoolsPython") {
        Some(&["pypi:aws-lambda-powertools"])
    } else if name.starts_with("AWSLambdaPowertoolsTypeScript") {
        Some(&[
            "npm:@aws-lambda-powertools/commons",
            "npm:@aws-lambda-powertools/logger",
            "npm:@aws-lambda-powertools/metrics",
            "npm:@aws-lambda-powertools/tracer",
            "npm:@aws-lambda-powertools/parameters",
        ])
    } else {
        None
    }
}

/// A function's properties with `Globals.Function` merged in as SAM merges them: maps
/// deep-merged, lists concatenated (the globals' first), the resource's scalars winning.
pub(super) fn merge_globals(
    globals: &Map<String, Value>,
    properties: &Map<String, Value>,
) -> Map<String, Value> {
    let mut merged = globals.clone();
    for (key, value) in properties {
        let joined = match (merged.remove(key), value) {
            (Some(Value::Object(g)), Value::Object(p)) => Value::Object(merge_globals(&g, p)),
            (Some(Value::Array(mut g)), Value::Array(p)) => {
                g.extend(p.iter().cloned());
                Value::Array(g)
            }
            (_, value) => value.clone(),
        };
        merged.insert(key.clone(), joined);
    }
    merged
}

/// An HTTP API stage's settings (SAM's `AWS::Serverless::HttpApi` and CloudFormation's
/// `AWS::ApiGatewayV2::Stage` name them alike) as Portico's stage: `StageVariables`,
/// `DefaultRouteSettings` throttling, `AccessLogSettings`.
pub(super) fn http_stage(props: &Map<String, Value>) -> Map<String, Value> {
    let mut stage = Map::new();
    if let Some(variables) = props.get("StageVariables").and_then(Value::as_object) {
        let vars: Map<String, Value> = variables
            .iter()
            .map(|(k, v)| (k.clone(), scalar_text(v).into()))
            .collect();
        stage.insert("variables".into(), Value::Object(vars));
    }
    if let Some(settings) = props.get("DefaultRouteSettings")
        && let Some(throttle) = throttle(settings)
    {
        stage.insert("throttle".into(), throttle);
    }
    if let Some(log) = props.get("AccessLogSettings")
        && let Some(format) = log.get("Format").and_then(Value::as_str)
    {
        stage.insert("access_log".into(), json!({"format": format}));
    }
    stage
}

/// SAM's and CloudFormation's CORS settings (`AllowOrigins`, ...) as Portico's `cors:`.
pub(super) fn cors_config(cors: &Value) -> Value {
    cors_from(cors, |key| key.to_string())
}

/// The same in an OpenAPI document's `x-amazon-apigateway-cors` (`allowOrigins`, ...).
pub(super) fn cors_config_lower(cors: &Value) -> Value {
    cors_from(cors, |key| {
        let mut chars = key.chars();
        chars.next().map_or(String::new(), |c| {
            c.to_ascii_lowercase().to_string() + chars.as_str()
        })
    })
}

/// CORS settings whose keys are `AllowOrigins`, ... as `spelled` writes them.
fn cors_from(cors: &Value, spelled: impl Fn(&str) -> String) -> Value {
    let mut out = Map::new();
    for (key, out_key) in [
        ("AllowOrigins", "allow_origins"),
        ("AllowMethods", "allow_methods"),
        ("AllowHeaders", "allow_headers"),
        ("ExposeHeaders", "expose_headers"),
    ] {
        if let Some(Value::Array(items)) = cors.get(spelled(key)) {
            out.insert(
                out_key.into(),
                Value::Array(items.iter().map(|v| scalar_text(v).into()).collect()),
            );
        }
    }
    if let Some(credentials) = cors
        .get(spelled("AllowCredentials"))
        .and_then(Value::as_bool)
    {
        out.insert("allow_credentials".into(), credentials.into());
    }
    if let Some(max_age) = cors.get(spelled("MaxAge")).and_then(number) {
        out.insert("max_age".into(), max_age.into());
    }
    Value::Object(out)
}

/// `ThrottlingRateLimit` and `ThrottlingBurstLimit` as a Portico throttle.
pub(super) fn throttle(settings: &Value) -> Option<Value> {
    let rate = settings.get("ThrottlingRateLimit").and_then(number_f64)?;
    let burst = settings.get("ThrottlingBurstLimit").and_then(number)?;
    Some(json!({"rate": rate, "burst": burst}))
}

/// `BinaryMediaTypes` as the Swagger extension: CloudFormation escapes `/` as `~1`
/// (`image~1png`).
pub(super) fn binary_media_types(types: &[Value]) -> Value {
    Value::Array(
        types
            .iter()
            .map(|t| scalar_text(t).replace("~1", "/").into())
            .collect(),
    )
}

/// SAM's `GatewayResponses` as the Swagger extension.
fn gateway_responses(responses: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    for (kind, response) in responses {
        let mut r = Map::new();
        if let Some(status) = response.get("StatusCode") {
            r.insert("statusCode".into(), scalar_text(status).into());
        }
        let mut parameters = Map::new();
        if let Some(params) = response.get("ResponseParameters") {
            for (group, prefix) in [
                ("Headers", "gatewayresponse.header."),
                ("Paths", "gatewayresponse.path."),
                ("QueryStrings", "gatewayresponse.querystring."),
            ] {
                for (k, v) in params
                    .get(group)
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    parameters.insert(format!("{prefix}{k}"), scalar_text(v).into());
                }
            }
        }
        if !parameters.is_empty() {
            r.insert("responseParameters".into(), Value::Object(parameters));
        }
        if let Some(templates) = response.get("ResponseTemplates") {
            r.insert("responseTemplates".into(), templates.clone());
        }
        out.insert(kind.clone(), Value::Object(r));
    }
    Value::Object(out)
}

/// A scalar as text, as CloudFormation passes numbers and booleans on to strings.
pub(super) fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A whole number, written as a number or as text.
pub(super) fn number(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn number_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "empty",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}
