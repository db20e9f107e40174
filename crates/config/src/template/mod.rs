//! CloudFormation and SAM templates, translated into Portico's config.
//!
//! A template is read with the place of every node (`yaml.rs`), its parameters, conditions
//! and intrinsic functions are evaluated (`intrinsics.rs`), its resources become Portico's
//! functions and APIs (`sam.rs` for `AWS::Serverless::*`), and the result is written as
//! `portico.yaml` text (`emit.rs`) that the ordinary compile step checks. A problem that
//! step finds is traced back, through the pointer of its line, to the template's own line.
//! So `portico serve template.yaml` serves exactly what `portico import template.yaml`
//! prints.

mod cfn;
mod emit;
mod http_definition;
pub(crate) mod intrinsics;
mod sam;
pub(crate) mod yaml;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Map, Value};

use crate::Diagnostic;
use crate::openapi::Problem;
use intrinsics::{Resource, Scope};
use yaml::{Document, child};

/// The region and account templates are evaluated in (Portico's defaults).
const REGION: &str = "us-east-1";
const ACCOUNT_ID: &str = "000000000000";

/// What the user gives besides the template.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `Key=Value` pairs, as `sam --parameter-overrides` takes them: parameter values, and
    /// values for references Portico cannot resolve (`Table`, `Table.Arn`, an export name).
    pub parameter_overrides: BTreeMap<String, String>,
    /// Local folders standing in for layers the template names by ARN (`--layer ARN=DIR`).
    pub layers: BTreeMap<String, std::path::PathBuf>,
}

/// A template made into Portico's config.
#[derive(Debug)]
pub struct Translated {
    /// The config, as `portico.yaml` text.
    pub text: String,
    /// What the template asks for that is not served, each at its place.
    pub warnings: Vec<Diagnostic>,
    /// The pointer into the config of the node each line of `text` starts.
    lines: Vec<String>,
    /// For a config pointer, the template pointer it was made from.
    origins: BTreeMap<String, String>,
    document: Document,
}

impl Translated {
    /// Where in the template the thing on `line` of [`Self::text`] (1-based) was written.
    pub fn place(&self, line: u32) -> (u32, u32) {
        let Some(pointer) = line.checked_sub(1).and_then(|i| self.lines.get(i as usize)) else {
            return (1, 1);
        };
        let mut pointer = pointer.as_str();
        loop {
            if let Some(origin) = self.origins.get(pointer) {
                return self.document.spot(origin);
            }
            match pointer.rfind('/') {
                Some(i) => pointer = &pointer[..i],
                None => return (1, 1),
            }
        }
    }
}

/// Whether `text` is a CloudFormation or SAM template rather than a `portico.yaml`: a
/// mapping with `AWSTemplateFormatVersion`, `Transform` or `Resources`.
pub fn is_template(text: &str) -> bool {
    const KEYS: [&str; 3] = ["AWSTemplateFormatVersion", "Transform", "Resources"];
    match yaml::read(text) {
        Ok(document) => document
            .value
            .as_object()
            .is_some_and(|top| KEYS.iter().any(|k| top.contains_key(*k))),
        // Unreadable: a template when its top-level keys say so.
        Err(_) => text.lines().any(|line| {
            KEYS.iter()
                .any(|k| line.starts_with(k) || line.trim_start().starts_with(&format!("\"{k}\"")))
        }),
    }
}

/// Translates the template `text`, whose relative paths start at `base`. Every problem is
/// reported at once, at its line and column.
pub fn translate(
    text: &str,
    base: &Path,
    options: &Options,
) -> Result<Translated, Vec<Diagnostic>> {
    let document = yaml::read(text).map_err(|d| vec![d])?;
    let mut t = Translation {
        base,
        region: REGION.to_string(),
        account_id: ACCOUNT_ID.to_string(),
        errors: Vec::new(),
        warnings: Vec::new(),
        origins: BTreeMap::new(),
        functions: Map::new(),
        function_names: BTreeSet::new(),
        rest_apis: BTreeMap::new(),
        http_apis: BTreeMap::new(),
        layers: options
            .layers
            .iter()
            .map(|(arn, dir)| (arn.clone(), dir.display().to_string()))
            .collect(),
    };
    let config = t.run(&document.value, options);
    let diagnostics = |problems: Vec<Problem>| -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = problems
            .into_iter()
            .map(|p| {
                let (line, column) = document.spot(&p.pointer);
                let d = Diagnostic::new(line, column, p.message);
                match p.help {
                    Some(help) => d.help(help),
                    None => d,
                }
            })
            .collect();
        out.sort_by_key(|d| (d.line, d.column));
        out
    };
    if !t.errors.is_empty() {
        return Err(diagnostics(t.errors));
    }
    let (text, lines) = emit::yaml(&config);
    Ok(Translated {
        text,
        warnings: diagnostics(t.warnings),
        lines,
        origins: t.origins,
        document,
    })
}

/// One translation under way.
pub(crate) struct Translation<'t> {
    base: &'t Path,
    region: String,
    account_id: String,
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
    origins: BTreeMap<String, String>,
    functions: Map<String, Value>,
    function_names: BTreeSet<String>,
    rest_apis: BTreeMap<String, sam::GatheredApi>,
    http_apis: BTreeMap<String, sam::GatheredApi>,
    /// Layer ARNs and the folders that stand for them (the template's own layers, then the
    /// user's `--layer ARN=DIR`).
    layers: BTreeMap<String, String>,
}

/// Resource types whose properties change nothing Portico serves.
const QUIET_TYPES: &[&str] = &[
    "AWS::Lambda::Permission",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::Logs::LogGroup",
    "AWS::CDK::Metadata",
    "AWS::ApiGateway::Account",
];

impl Translation<'_> {
    fn error(&mut self, pointer: &str, message: impl Into<String>, help: impl Into<String>) {
        self.errors.push(problem(pointer, message, help));
    }

    fn warn(&mut self, pointer: &str, message: impl Into<String>, help: impl Into<String>) {
        self.warnings.push(problem(pointer, message, help));
    }

    /// Notes that the config's node at `out` was made from the template's at `from`.
    fn origin(&mut self, out: &str, from: &str) {
        self.origins.insert(out.to_string(), from.to_string());
    }

    fn run(&mut self, top: &Value, options: &Options) -> Value {
        let included = self.cfn_include(top);
        let top = &included;
        let Some(top) = top.as_object() else {
            self.error(
                "",
                "a template is a mapping with a `Resources` section",
                "start from `Resources:`",
            );
            return Value::Null;
        };
        let serverless = match top.get("Transform") {
            None => false,
            Some(Value::String(t)) => self.transform(t),
            Some(Value::Array(ts)) => ts
                .iter()
                .map(|t| t.as_str().is_some_and(|t| self.transform(t)))
                .fold(false, |a, b| a | b),
            Some(_) => {
                self.error(
                    "/Transform",
                    "`Transform` is neither a name nor a list of names",
                    "write `Transform: AWS::Serverless-2016-10-31`",
                );
                false
            }
        };
        let Some(resources) = top.get("Resources").and_then(Value::as_object) else {
            self.error(
                "",
                "the template has no `Resources`",
                "a template declares its functions and APIs under `Resources:`",
            );
            return Value::Null;
        };
        let null = Value::Null;
        let overrides = &options.parameter_overrides;
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let parameters = intrinsics::parameters(
            top.get("Parameters").unwrap_or(&null),
            overrides,
            &mut errors,
        );
        let mappings = top.get("Mappings").unwrap_or(&null);
        let none_yet = BTreeMap::new();
        let no_resources = BTreeMap::new();
        let stack_name = "portico";
        let conditions = intrinsics::conditions(
            top.get("Conditions").unwrap_or(&null),
            &Scope {
                region: &self.region,
                account_id: &self.account_id,
                stack_name,
                parameters: &parameters,
                conditions: &none_yet,
                mappings,
                resources: &no_resources,
                overrides,
            },
            &mut errors,
        );
        // The resources that exist under the conditions, and what references to them give.
        let mut existing: Vec<(&String, &Map<String, Value>)> = Vec::new();
        for (id, resource) in resources {
            let at = child("/Resources", id);
            let Some(resource) = resource.as_object() else {
                self.error(
                    &at,
                    format!("resource `{id}` is not a mapping"),
                    "give it `Type:` and `Properties:`",
                );
                continue;
            };
            if let Some(condition) = resource.get("Condition") {
                match condition.as_str().and_then(|c| conditions.get(c)) {
                    Some(true) => {}
                    Some(false) => continue,
                    None => {
                        self.error(
                            &child(&at, "Condition"),
                            format!(
                                "`{}` is not a condition of the template",
                                sam::scalar_text(condition)
                            ),
                            "name one under `Conditions:`",
                        );
                        continue;
                    }
                }
            }
            existing.push((id, resource));
        }
        let known = self.references(&existing);
        let (region, account_id) = (self.region.clone(), self.account_id.clone());
        let scope = Scope {
            region: &region,
            account_id: &account_id,
            stack_name,
            parameters: &parameters,
            conditions: &conditions,
            mappings,
            resources: &known,
            overrides,
        };
        let globals = match top.get("Globals") {
            Some(globals) if serverless => {
                intrinsics::resolve(globals, "/Globals", &scope, &mut errors, &mut warnings)
                    .unwrap_or(Value::Null)
            }
            Some(_) => {
                self.warn(
                    "/Globals",
                    "`Globals` is read only with `Transform: AWS::Serverless-2016-10-31`",
                    "add the transform, or move the settings into the resources",
                );
                Value::Null
            }
            None => Value::Null,
        };
        let empty = Map::new();
        let function_globals = globals
            .get("Function")
            .and_then(Value::as_object)
            .unwrap_or(&empty)
            .clone();
        let mut resolved: Vec<(String, String, Map<String, Value>)> = Vec::new();
        for (id, resource) in &existing {
            let kind = resource
                .get("Type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let at = child(&child("/Resources", id), "Properties");
            let properties = match resource.get("Properties") {
                Some(p) => intrinsics::resolve(p, &at, &scope, &mut errors, &mut warnings)
                    .and_then(|v| v.as_object().cloned())
                    .unwrap_or_default(),
                None => Map::new(),
            };
            resolved.push((id.to_string(), kind, properties));
        }
        self.errors.append(&mut errors);
        self.warnings.append(&mut warnings);
        // Layers first: functions name them by ARN.
        for (id, kind, properties) in &resolved {
            if kind == "AWS::Serverless::LayerVersion" {
                self.layer_version(id, properties);
            }
        }
        let api_globals = |section: &str| {
            globals
                .get(section)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let (rest_globals, http_globals) = (api_globals("Api"), api_globals("HttpApi"));
        let mut declared = Vec::new();
        for (id, kind, properties) in resolved {
            let at = child("/Resources", &id);
            match kind.as_str() {
                "AWS::Serverless::Function" => {
                    let name = function_name(&id, Some(&Value::Object(properties.clone())));
                    let metadata = resources
                        .get(&id)
                        .and_then(|r| r.get("Metadata"))
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    self.serverless_function(&id, &name, &properties, &metadata, &function_globals);
                }
                "AWS::Serverless::Api" => {
                    if let Some(api) = self.rest_apis.get_mut(&id) {
                        api.properties = sam::merge_globals(&rest_globals, &properties);
                    }
                }
                "AWS::Serverless::HttpApi" => {
                    if let Some(api) = self.http_apis.get_mut(&id) {
                        api.properties = sam::merge_globals(&http_globals, &properties);
                    }
                }
                "AWS::Serverless::LayerVersion" => {}
                "" => self.error(&at, format!("resource `{id}` has no `Type`"), "give its type, e.g. `Type: AWS::Serverless::Function`"),
                k if QUIET_TYPES.contains(&k) => {}
                k if cfn::handles(k) => declared.push(cfn::Declared {
                    written: resources.get(&id).unwrap_or(&null),
                    kind: k.to_string(),
                    id,
                    properties,
                }),
                k if k.starts_with("AWS::Serverless::") => self.warn(
                    &child(&at, "Type"),
                    format!("`{id}` is an {k}, which Portico does not serve"),
                    "Portico serves functions, APIs and layers",
                ),
                k => self.warn(
                    &child(&at, "Type"),
                    format!("`{id}` is an {k}, which Portico does not emulate"),
                    format!("run it elsewhere (moto, LocalStack, a local database) and pass its name with `--parameter-overrides {id}=...`"),
                ),
            }
        }
        // Implicit APIs take the Api and HttpApi globals too.
        if let Some(api) = self.rest_apis.get_mut(IMPLICIT_REST) {
            api.properties = sam::merge_globals(&rest_globals, &api.properties);
        }
        if let Some(api) = self.http_apis.get_mut(IMPLICIT_HTTP) {
            api.properties = sam::merge_globals(&http_globals, &api.properties);
        }
        let mut apis: Map<String, Value> = self.cloudformation(&declared).into_iter().collect();
        for (name, api) in std::mem::take(&mut self.rest_apis) {
            if api.events.is_empty()
                && api.pointer.is_some()
                && !api.properties.contains_key("DefinitionBody")
                && !api.properties.contains_key("DefinitionUri")
            {
                self.warn(
                    api.pointer.as_deref().unwrap_or(""),
                    format!("the API `{name}` has no methods: no function's Api event names it"),
                    "add an Api event with `RestApiId: !Ref` it to a function",
                );
            }
            let emitted = self.emit_rest_api(&name, api);
            apis.insert(name, emitted);
        }
        for (name, api) in std::mem::take(&mut self.http_apis) {
            let emitted = self.emit_http_api(&name, api);
            apis.insert(name, emitted);
        }
        let mut config = Map::new();
        if !self.functions.is_empty() {
            config.insert(
                "functions".into(),
                Value::Object(std::mem::take(&mut self.functions)),
            );
        }
        if !apis.is_empty() {
            config.insert("apis".into(), Value::Object(apis));
        }
        Value::Object(config)
    }

    /// An `AWS::Serverless::LayerVersion`: its folder (`ContentUri`, or what `sam build`
    /// made of it), under the ARN references to it give.
    fn layer_version(&mut self, id: &str, properties: &Map<String, Value>) {
        let at = child(&child("/Resources", id), "Properties");
        let folder = match properties.get("ContentUri") {
            Some(Value::String(uri)) => {
                let built = format!(".aws-sam/build/{id}");
                if self.base.join(&built).is_dir() {
                    built
                } else {
                    uri.clone()
                }
            }
            _ => {
                self.error(
                    &child(&at, "ContentUri"),
                    format!("the layer `{id}` has no local `ContentUri`"),
                    "point `ContentUri` at the layer's folder (python/, nodejs/node_modules/, bin/), relative to the template",
                );
                return;
            }
        };
        let arn = format!(
            "arn:aws:lambda:{}:{}:layer:{id}:1",
            self.region, self.account_id
        );
        self.layers.insert(arn, folder);
    }

    /// What `Ref` and `Fn::GetAtt` give for each resource that exists, and for what SAM
    /// makes beside them (a function's role and URL, the implicit APIs); a resource Portico
    /// does not emulate gives a placeholder. Notes the functions' names and the SAM APIs to
    /// gather events into.
    fn references(
        &mut self,
        existing: &[(&String, &Map<String, Value>)],
    ) -> BTreeMap<String, Resource> {
        let mut known = BTreeMap::new();
        let mut implicit_rest = false;
        let mut implicit_http = false;
        for (id, resource) in existing {
            let kind = resource.get("Type").and_then(Value::as_str).unwrap_or("");
            let props = resource.get("Properties");
            match kind {
                "AWS::Serverless::Function" | "AWS::Lambda::Function" => {
                    let name = function_name(id, props);
                    let arn = format!(
                        "arn:aws:lambda:{}:{}:function:{name}",
                        self.region, self.account_id
                    );
                    self.function_names.insert(name.clone());
                    known.insert(
                        id.to_string(),
                        resource_of(name.clone().into(), [("Arn", arn.clone().into())]),
                    );
                    if kind == "AWS::Serverless::Function" {
                        let role = format!("arn:aws:iam::{}:role/{id}Role", self.account_id);
                        known.insert(
                            format!("{id}Role"),
                            resource_of(format!("{id}Role").into(), [("Arn", role.into())]),
                        );
                        let events = props
                            .and_then(|p| p.get("Events"))
                            .and_then(Value::as_object);
                        for event in events.into_iter().flatten().map(|(_, e)| e) {
                            let event_props = event.get("Properties");
                            match event.get("Type").and_then(Value::as_str) {
                                Some("Api")
                                    if event_props.and_then(|p| p.get("RestApiId")).is_none() =>
                                {
                                    implicit_rest = true
                                }
                                Some("HttpApi")
                                    if event_props.and_then(|p| p.get("ApiId")).is_none() =>
                                {
                                    implicit_http = true
                                }
                                _ => {}
                            }
                        }
                        // What SAM makes for `AutoPublishAlias`: the version, the alias and
                        // the references `Fn.Version` and `Fn.Alias`.
                        let alias = props
                            .and_then(|p| p.get("AutoPublishAlias"))
                            .and_then(Value::as_str);
                        if let Some(alias) = alias {
                            let alias_arn = format!("{arn}:{alias}");
                            let version_arn = format!("{arn}:1");
                            for made in [format!("{id}Alias{alias}"), format!("{id}.Alias")] {
                                known.insert(
                                    made,
                                    resource_of(
                                        alias_arn.clone().into(),
                                        [("AliasArn", alias_arn.clone().into())],
                                    ),
                                );
                            }
                            known.insert(
                                format!("{id}.Version"),
                                resource_of(
                                    version_arn.clone().into(),
                                    [("Version", "1".into()), ("FunctionArn", version_arn.into())],
                                ),
                            );
                        }
                        if props.and_then(|p| p.get("FunctionUrlConfig")).is_some() {
                            let host = match alias {
                                Some(alias) => format!("{alias}.{name}"),
                                None => name.clone(),
                            };
                            known.insert(
                                format!("{id}Url"),
                                resource_of(
                                    format!("{id}Url").into(),
                                    [(
                                        "FunctionUrl",
                                        format!("http://{host}.lambda-url.localhost:3000/").into(),
                                    )],
                                ),
                            );
                        }
                    }
                }
                "AWS::Serverless::Api" | "AWS::ApiGateway::RestApi" => {
                    known.insert(
                        id.to_string(),
                        resource_of(id.to_string().into(), [("RootResourceId", "/".into())]),
                    );
                    if kind == "AWS::Serverless::Api" {
                        self.rest_apis.insert(
                            id.to_string(),
                            sam::GatheredApi {
                                pointer: Some(child("/Resources", id)),
                                ..Default::default()
                            },
                        );
                    }
                }
                "AWS::Serverless::HttpApi" | "AWS::ApiGatewayV2::Api" => {
                    let endpoint = format!(
                        "http://{}.execute-api.localhost:3000",
                        id.to_ascii_lowercase()
                    );
                    known.insert(
                        id.to_string(),
                        resource_of(
                            id.to_string().into(),
                            [
                                ("ApiEndpoint", endpoint.into()),
                                ("ApiId", id.to_string().into()),
                            ],
                        ),
                    );
                    if kind == "AWS::Serverless::HttpApi" {
                        self.http_apis.insert(
                            id.to_string(),
                            sam::GatheredApi {
                                pointer: Some(child("/Resources", id)),
                                ..Default::default()
                            },
                        );
                    }
                }
                "AWS::Serverless::LayerVersion" | "AWS::Lambda::LayerVersion" => {
                    let arn = format!(
                        "arn:aws:lambda:{}:{}:layer:{id}:1",
                        self.region, self.account_id
                    );
                    known.insert(id.to_string(), resource_of(arn.into(), []));
                }
                "AWS::IAM::Role" => {
                    let arn = format!("arn:aws:iam::{}:role/{id}", self.account_id);
                    known.insert(
                        id.to_string(),
                        resource_of(id.to_string().into(), [("Arn", arn.into())]),
                    );
                }
                k if QUIET_TYPES.contains(&k) || k.starts_with("AWS::ApiGateway") => {
                    known.insert(id.to_string(), resource_of(id.to_string().into(), []));
                }
                // What Portico does not emulate (a table, a queue): its references are
                // placeholders the user may override.
                _ => {
                    known.insert(id.to_string(), Resource::default());
                }
            }
        }
        self.cfn_known(existing, &mut known);
        if implicit_rest {
            known.insert(
                IMPLICIT_REST.into(),
                resource_of(IMPLICIT_REST.into(), [("RootResourceId", "/".into())]),
            );
        }
        if implicit_http {
            let endpoint = format!(
                "http://{}.execute-api.localhost:3000",
                IMPLICIT_HTTP.to_ascii_lowercase()
            );
            known.insert(
                IMPLICIT_HTTP.into(),
                resource_of(IMPLICIT_HTTP.into(), [("ApiEndpoint", endpoint.into())]),
            );
        }
        known
    }

    /// Whether transform `name` is SAM's; other transforms are not run.
    fn transform(&mut self, name: &str) -> bool {
        if name == "AWS::Serverless-2016-10-31" {
            return true;
        }
        self.warn(
            "/Transform",
            format!("the transform `{name}` is not run by Portico"),
            "only AWS::Serverless-2016-10-31 is; expand the template first (e.g. `aws cloudformation package`)",
        );
        false
    }

    /// `InlineCode` written to `.portico/inline/<id>/` beside the template, as the file its
    /// handler names; the folder, relative to the template.
    fn inline_code(
        &mut self,
        id: &str,
        runtime: &str,
        handler: &str,
        code: &Value,
        at: &str,
    ) -> Option<String> {
        let Value::String(code) = code else {
            self.error(
                at,
                "`InlineCode` is not text",
                "write the function's source as a string",
            );
            return None;
        };
        let Some(extension) = source_extension(runtime) else {
            self.error(
                at,
                format!("inline code of a {runtime} function cannot be run"),
                "inline code is for Python and Node functions; give `CodeUri` instead",
            );
            return None;
        };
        let module = handler.rsplit_once('.').map_or(handler, |(m, _)| m);
        let folder = format!(".portico/inline/{id}");
        let file = self
            .base
            .join(&folder)
            .join(format!("{module}.{extension}"));
        let unchanged = std::fs::read_to_string(&file).is_ok_and(|old| old == *code);
        if !unchanged {
            let written = file
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&file, code));
            if let Err(e) = written {
                self.error(
                    at,
                    format!(
                        "cannot write the inline code of `{id}` to {}: {e}",
                        file.display()
                    ),
                    "Portico writes inline code beside the template; make that folder writable",
                );
                return None;
            }
        }
        Some(folder)
    }

    /// The OpenAPI document in the file `DefinitionUri` names.
    fn definition_file(&mut self, file: &str, at: &str) -> Map<String, Value> {
        let text = match std::fs::read_to_string(self.base.join(file)) {
            Ok(text) => text,
            Err(e) => {
                self.error(
                    at,
                    format!("cannot read `{file}`: {e}"),
                    "the path is relative to the template",
                );
                return Map::new();
            }
        };
        match yaml::read(&text) {
            Ok(Document {
                value: Value::Object(document),
                ..
            }) => document,
            Ok(_) => {
                self.error(
                    at,
                    format!("`{file}` is not an OpenAPI document"),
                    "it must be a mapping with `swagger:` or `openapi:`",
                );
                Map::new()
            }
            Err(d) => {
                self.error(
                    at,
                    format!("{file}:{}:{}: {}", d.line, d.column, d.message),
                    "fix the document's syntax",
                );
                Map::new()
            }
        }
    }
}

const IMPLICIT_REST: &str = sam::IMPLICIT_REST_API;
const IMPLICIT_HTTP: &str = sam::IMPLICIT_HTTP_API;

/// The extension of a source file Lambda runs inline for `runtime` (Python and Node only).
fn source_extension(runtime: &str) -> Option<&'static str> {
    if runtime.starts_with("python") {
        Some("py")
    } else if runtime.starts_with("nodejs") {
        Some("js")
    } else {
        None
    }
}

fn problem(pointer: &str, message: impl Into<String>, help: impl Into<String>) -> Problem {
    Problem {
        pointer: pointer.to_string(),
        message: message.into(),
        help: Some(help.into()),
    }
}

/// A function's name: its `FunctionName` when written as plain text, else its logical id.
fn function_name(id: &str, properties: Option<&Value>) -> String {
    properties
        .and_then(|p| p.get("FunctionName"))
        .and_then(Value::as_str)
        .map_or_else(|| id.to_string(), str::to_string)
}

fn resource_of<const N: usize>(reference: Value, attributes: [(&str, Value); N]) -> Resource {
    Resource {
        reference,
        attributes: attributes
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    }
}
