//! REST APIs imported from OpenAPI 3 or Swagger 2 documents with API Gateway's extensions
//! (`x-amazon-apigateway-integration` and friends) into the [`crate::rest`] model.
//!
//! [`read`] turns JSON or YAML text into a document; [`import`] reads the document's paths,
//! security schemes, models, request validators, gateway responses and API-level settings as
//! API Gateway's import does, and reports every problem at once, each with the RFC 6901 JSON
//! pointer of what is wrong and how to fix it.
//!
//! What a REST API may carry but Portico does not serve (resource policies, endpoint
//! configuration, documentation, ...) is not an error: it comes back in
//! [`Imported::unsupported`], for the caller to print at start-up.
//!
//! Choices where API Gateway offers several behaviours:
//! - `basePath` (Swagger 2) and a base path in `servers` (OpenAPI 3) are ignored, as the import
//!   does by default (`basepath=ignore`); a non-trivial one is reported in `unsupported`.
//! - Integration responses are tried in the order of their selection patterns (as JSON object
//!   keys are sorted), the `default` response last.
//! - Models are made self-contained: a `$ref` to another model becomes `#/definitions/<name>`
//!   and the model carries, under `definitions`, every model it reaches.
//! - A security requirement naming `api_key` with no such scheme defined requires an API key,
//!   as API Gateway's own examples (request validation) use it.
//! - A function named by a CloudFormation reference (`${Fn.Arn}` in `Fn::Sub`) is the function
//!   whose name is the resource's logical id; one named by a stage variable
//!   (`function:${stageVariables.fn}`) is kept as written, for the gateway to resolve per stage.

mod extensions;
mod functions;
mod integration;
mod models;
mod paths;
mod security;
mod settings;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value};

use crate::diagnostics::suggestion;
use crate::rest::{ApiKeySource, GatewayResponse, Method, RestAuthorizer, Validator};
use security::Scheme;

/// What an OpenAPI document defines, for the caller to put into a `RestApi`.
#[derive(Debug, Clone)]
pub struct Imported {
    /// Sorted by [`RouteKey::cmp_specificity`](crate::RouteKey::cmp_specificity).
    pub methods: Vec<Method>,
    pub authorizers: BTreeMap<String, RestAuthorizer>,
    pub validators: BTreeMap<String, Validator>,
    /// JSON Schema draft 4, each self-contained: references to other models point into the
    /// model's own `definitions`.
    pub models: BTreeMap<String, Value>,
    pub api_key_source: ApiKeySource,
    pub binary_media_types: Vec<String>,
    pub gateway_responses: BTreeMap<String, GatewayResponse>,
    /// Extensions or features Portico does not serve, by name and JSON pointer: the caller
    /// prints them at start-up (never ignored silently).
    pub unsupported: Vec<Problem>,
}

/// One problem in a document, or one feature Portico does not serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// RFC 6901 JSON pointer into the document, e.g.
    /// `/paths/~1pets~1{petId}/get/x-amazon-apigateway-integration/type`.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl Problem {
    fn new(pointer: &Ptr, message: impl Into<String>) -> Problem {
        Problem {
            pointer: pointer.0.clone(),
            message: message.into(),
            help: None,
        }
    }

    fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "(document)"
        } else {
            &self.pointer
        };
        write!(f, "{pointer}: {}", self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Reads JSON or YAML text into a document. A syntax error is a [`Problem`] whose message
/// starts with its line and column.
pub fn read(text: &str) -> Result<Value, Problem> {
    let root = Ptr::root();
    if text.trim_start().starts_with(['{', '[']) {
        match serde_json::from_str(text) {
            Ok(value) => return Ok(value),
            Err(json) => {
                // A YAML flow mapping also starts with `{`; prefer JSON's diagnosis only when
                // YAML cannot read the text either.
                if let Ok(value) = serde_saphyr::from_str::<Value>(text) {
                    return Ok(value);
                }
                let message = json.to_string();
                let message = match message.rfind(" at line ") {
                    Some(i) => message[..i].to_string(),
                    None => message,
                };
                return Err(Problem::new(
                    &root,
                    format!("line {}, column {}: {message}", json.line(), json.column()),
                )
                .help("fix the JSON syntax at that place"));
            }
        }
    }
    serde_saphyr::from_str::<Value>(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        let rendered = e.without_snippet().to_string();
        let first = rendered.lines().next().unwrap_or("").trim();
        let message = match first.rfind(" at line ") {
            Some(i) if first[i..].contains(", column ") => &first[..i],
            _ => first,
        };
        Problem::new(&root, format!("line {line}, column {column}: {message}"))
            .help("fix the YAML syntax at that place")
    })
}

/// Reads an OpenAPI 3 or Swagger 2 document with API Gateway's extensions. Functions named by
/// Lambda integrations and authorizers must pass `function_exists` (asked `name`, and
/// `name:qualifier` for an integration's alias or version). Every error is reported,
/// not only the first.
pub fn import(
    document: &Value,
    function_exists: &dyn Fn(&str) -> bool,
) -> Result<Imported, Vec<Problem>> {
    let mut importer = Importer {
        doc: document,
        function_exists,
        errors: Vec::new(),
        unsupported: Vec::new(),
        handled: BTreeSet::new(),
        containers: BTreeSet::new(),
        version: Version::OpenApi3,
        raw_models: BTreeMap::new(),
        schemes: BTreeMap::new(),
        validators: BTreeMap::new(),
        authorizers: BTreeMap::new(),
    };
    let imported = importer.run();
    if importer.errors.is_empty() {
        Ok(imported)
    } else {
        Err(importer.errors)
    }
}

/// A JSON pointer under construction.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ptr(String);

impl Ptr {
    fn root() -> Ptr {
        Ptr(String::new())
    }

    fn key(&self, key: &str) -> Ptr {
        Ptr(format!(
            "{}/{}",
            self.0,
            key.replace('~', "~0").replace('/', "~1")
        ))
    }

    fn index(&self, i: usize) -> Ptr {
        Ptr(format!("{}/{i}", self.0))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    Swagger2,
    OpenApi3,
}

/// The operations of a path item, by field, and the method route keys spell them with.
pub(crate) const OPERATIONS: &[(&str, &str)] = &[
    ("get", "GET"),
    ("put", "PUT"),
    ("post", "POST"),
    ("delete", "DELETE"),
    ("options", "OPTIONS"),
    ("head", "HEAD"),
    ("patch", "PATCH"),
    ("x-amazon-apigateway-any-method", "ANY"),
];

/// How deep the importer follows nested values (schemas, the unsupported-extension walk).
const MAX_DEPTH: usize = 200;

struct Importer<'a> {
    doc: &'a Value,
    function_exists: &'a dyn Fn(&str) -> bool,
    errors: Vec<Problem>,
    unsupported: Vec<Problem>,
    /// Pointers of the `x-amazon-apigateway-*` keys read; any other is reported unsupported.
    handled: BTreeSet<String>,
    /// Pointers of `x-amazon-apigateway-*` keys read whose values are walked all the same.
    containers: BTreeSet<String>,
    version: Version,
    /// Models as written, with where they are.
    raw_models: BTreeMap<String, (Value, Ptr)>,
    schemes: BTreeMap<String, Scheme>,
    validators: BTreeMap<String, Validator>,
    authorizers: BTreeMap<String, RestAuthorizer>,
}

impl Importer<'_> {
    fn error(&mut self, problem: Problem) {
        self.errors.push(problem);
    }

    /// Reports each of `keys` that is not one of `known` (or an `x-` extension, where
    /// `extensions` are allowed) as an unknown property of a `what`, with the nearest known
    /// key or the list of them; `false` if there was one.
    fn known_keys<'k>(
        &mut self,
        at: &Ptr,
        keys: impl IntoIterator<Item = &'k String>,
        known: &[&str],
        what: &str,
        extensions: bool,
    ) -> bool {
        let mut ok = true;
        for key in keys {
            if known.contains(&key.as_str()) || (extensions && key.starts_with("x-")) {
                continue;
            }
            let otherwise = format!("the {what} properties are {}", known.join(", "));
            let help = suggestion(key, known.iter().copied(), otherwise);
            self.error(
                Problem::new(&at.key(key), format!("unknown {what} property `{key}`")).help(help),
            );
            ok = false;
        }
        ok
    }

    fn note(&mut self, problem: Problem) {
        self.unsupported.push(problem);
    }

    fn handle(&mut self, ptr: &Ptr) {
        self.handled.insert(ptr.0.clone());
    }

    fn run(&mut self) -> Imported {
        let doc = self.doc;
        let root = Ptr::root();
        let mut imported = Imported {
            methods: Vec::new(),
            authorizers: BTreeMap::new(),
            validators: BTreeMap::new(),
            models: BTreeMap::new(),
            api_key_source: ApiKeySource::Header,
            binary_media_types: Vec::new(),
            gateway_responses: BTreeMap::new(),
            unsupported: Vec::new(),
        };
        let Some(top) = doc.as_object() else {
            self.error(
                Problem::new(&root, "the document is not an object")
                    .help("an OpenAPI document is a mapping with `openapi: 3.0.1` (or `swagger: '2.0'`), `info` and `paths`"),
            );
            return imported;
        };
        match (top.get("openapi"), top.get("swagger")) {
            (Some(Value::String(v)), _) if v.starts_with("3.") => self.version = Version::OpenApi3,
            (_, Some(Value::String(v))) if v == "2.0" => self.version = Version::Swagger2,
            (Some(v), _) => {
                self.error(
                    Problem::new(&root.key("openapi"), format!("`openapi` is {}, not a 3.x version", text(v)))
                        .help("API Gateway imports OpenAPI 3.0 (`openapi: 3.0.1`) and Swagger 2 (`swagger: '2.0'`)"),
                );
                return imported;
            }
            (None, Some(v)) => {
                self.error(
                    Problem::new(&root.key("swagger"), format!("`swagger` is {}, not \"2.0\"", text(v)))
                        .help("API Gateway imports OpenAPI 3.0 (`openapi: 3.0.1`) and Swagger 2 (`swagger: '2.0'`)"),
                );
                return imported;
            }
            (None, None) => {
                self.error(
                    Problem::new(&root, "the document has neither `openapi` nor `swagger`")
                        .help("start it with `openapi: 3.0.1` (or `swagger: '2.0'` for a Swagger 2 document)"),
                );
                return imported;
            }
        }
        self.base_path(top);
        self.collect_models(top);
        self.read_validators(top);
        self.api_settings(top, &mut imported);
        self.security_schemes(top);
        self.paths(top, &mut imported);
        self.resolve_models(&mut imported);
        imported.authorizers = std::mem::take(&mut self.authorizers);
        imported.validators = self.validators.clone();
        let mut found = Vec::new();
        self.walk_extensions(doc, &root, 0, &mut found);
        self.unsupported.extend(found);
        imported.unsupported = std::mem::take(&mut self.unsupported);
        imported
    }

    /// A named section that Swagger 2 keeps at the top (`keys.0`) and OpenAPI 3 under
    /// `components` (`keys.1`): the mapping and its pointer, or `None` (reported when it is
    /// not a mapping; `what` names the section and its entries).
    fn section<'t>(
        &mut self,
        top: &'t Map<String, Value>,
        keys: (&str, &str),
        what: (&str, &str),
    ) -> Option<(&'t Map<String, Value>, Ptr)> {
        let (swagger2, openapi3) = keys;
        let (container, ptr) = match self.version {
            Version::Swagger2 => (top.get(swagger2), Ptr::root().key(swagger2)),
            Version::OpenApi3 => (
                top.get("components").and_then(|c| c.get(openapi3)),
                Ptr::root().key("components").key(openapi3),
            ),
        };
        match container?.as_object() {
            Some(map) => Some((map, ptr)),
            None => {
                let message = format!("{} must be a mapping of names to {}", what.0, what.1);
                self.error(Problem::new(&ptr, message));
                None
            }
        }
    }
}

/// A non-negative integer written as a number or a string of digits.
fn number(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s)
            if !s.is_empty() && s.len() <= 12 && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            s.parse().ok()
        }
        _ => None,
    }
}

/// A value as it reads in a message: strings bare, others as JSON (shortened).
fn text(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 80 {
        let short: String = s.chars().take(77).collect();
        format!("{short}...")
    } else {
        s
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}
