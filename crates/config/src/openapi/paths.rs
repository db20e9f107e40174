//! The paths and their operations: each operation's parameters, request body, security and
//! validator, made into a [`Method`](crate::rest::Method) with its integration.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Imported, Importer, OPERATIONS, Problem, Ptr, Version, text};
use crate::RouteKey;
use crate::rest::{Authorization, Method};

const PATH_ITEM_KEYS: &[&str] = &[
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "trace",
    "x-amazon-apigateway-any-method",
    "parameters",
    "summary",
    "description",
    "servers",
    "$ref",
];

/// Where a method's requests are checked and with what.
pub(super) struct Operation<'p> {
    pub(super) method: &'static str,
    pub(super) path: &'p str,
    pub(super) ptr: Ptr,
}

impl<'a> Importer<'a> {
    pub(super) fn paths(&mut self, top: &Map<String, Value>, imported: &mut Imported) {
        let ptr = Ptr::root().key("paths");
        let paths = match top.get("paths") {
            Some(Value::Object(p)) => p,
            Some(_) => {
                self.error(Problem::new(
                    &ptr,
                    "`paths` must be a mapping of paths to operations",
                ));
                return;
            }
            None => {
                self.error(
                    Problem::new(&ptr, "the document has no `paths`")
                        .help("add `paths:` with at least one operation"),
                );
                return;
            }
        };
        let default_auth = match top.get("security") {
            Some(s) => self.security(s, &Ptr::root().key("security")),
            None => (Authorization::None, false),
        };
        let default_validator = top
            .get("x-amazon-apigateway-request-validator")
            .and_then(Value::as_str)
            .filter(|v| self.validators.contains_key(*v))
            .map(str::to_string);
        // Resource tree: the variable child of each resource, to refuse two with other names.
        let mut variables: BTreeMap<Vec<String>, String> = BTreeMap::new();
        for (path, item) in paths {
            let at = ptr.key(path);
            if !self.check_path(path, &at) {
                continue;
            }
            let segments: Vec<&str> = path
                .trim_start_matches('/')
                .split('/')
                .filter(|s| !s.is_empty())
                .collect();
            let mut conflict = false;
            for (i, segment) in segments.iter().enumerate() {
                if !segment.starts_with('{') {
                    continue;
                }
                let parent: Vec<String> = segments[..i].iter().map(|s| s.to_string()).collect();
                match variables.get(&parent) {
                    Some(existing) if existing != segment => {
                        let parent_path = format!("/{}", parent.join("/"));
                        self.error(
                            Problem::new(&at, format!("`{segment}` and `{existing}` are both variable segments under `{parent_path}`"))
                                .help("API Gateway allows one variable child per resource: use the same parameter name in both paths"),
                        );
                        conflict = true;
                        break;
                    }
                    Some(_) => {}
                    None => {
                        variables.insert(parent, segment.to_string());
                    }
                }
            }
            if conflict {
                continue;
            }
            let Some(item) = item.as_object() else {
                self.error(Problem::new(
                    &at,
                    "a path item must be a mapping of operations",
                ));
                continue;
            };
            self.known_keys(&at, item.keys(), PATH_ITEM_KEYS, "path item", true);
            if item.contains_key("$ref") {
                self.error(
                    Problem::new(&at.key("$ref"), "path items by `$ref` are not supported")
                        .help("write the operations inline under the path"),
                );
                continue;
            }
            if item.contains_key("trace") {
                self.handle(&at.key("trace"));
                self.note(Problem::new(
                    &at.key("trace"),
                    "API Gateway has no TRACE methods; this operation is left out",
                ));
            }
            let shared: Vec<(Value, Ptr)> = match item.get("parameters") {
                Some(Value::Array(list)) => list
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (p.clone(), at.key("parameters").index(i)))
                    .collect(),
                Some(_) => {
                    self.error(Problem::new(
                        &at.key("parameters"),
                        "`parameters` must be a list",
                    ));
                    Vec::new()
                }
                None => Vec::new(),
            };
            for &(key, method) in OPERATIONS {
                let Some(op) = item.get(key) else { continue };
                if key.starts_with("x-amazon-apigateway-") {
                    // An operation: read, and walked for the extensions inside it.
                    self.containers.insert(at.key(key).0);
                }
                let operation = Operation {
                    method,
                    path,
                    ptr: at.key(key),
                };
                if let Some(m) = self.operation(
                    &operation,
                    op,
                    &shared,
                    &default_auth,
                    default_validator.clone(),
                ) {
                    imported.methods.push(m);
                }
            }
        }
        imported.methods.sort_by(|a, b| {
            (a.key.path_template(), a.key.text()).cmp(&(b.key.path_template(), b.key.text()))
        });
        imported
            .methods
            .sort_by(|a, b| a.key.cmp_specificity(&b.key));
    }

    /// Checks a path's syntax as API Gateway's resources need it.
    fn check_path(&mut self, path: &str, at: &Ptr) -> bool {
        if !path.starts_with('/') {
            self.error(
                Problem::new(at, format!("path `{path}` does not start with `/`"))
                    .help(format!("write `/{path}`")),
            );
            return false;
        }
        if path.len() > 1 && path.ends_with('/') {
            let trimmed = path.trim_end_matches('/');
            let fixed = if trimmed.is_empty() { "/" } else { trimmed };
            self.error(
                Problem::new(at, format!("path `{path}` ends with `/`")).help(format!(
                    "write `{fixed}`: API Gateway resources have no trailing slash"
                )),
            );
            return false;
        }
        for segment in path[1..].split('/') {
            let open = segment.matches('{').count();
            let close = segment.matches('}').count();
            if open > close {
                self.error(
                    Problem::new(at, format!("path parameter `{segment}` is not closed"))
                        .help(format!("write `{segment}}}`: a path parameter is a whole segment, `{{name}}` or `{{name+}}`")),
                );
                return false;
            }
            if close > open {
                self.error(
                    Problem::new(
                        at,
                        format!("`{segment}` closes a path parameter that is not opened"),
                    )
                    .help("a path parameter is a whole segment, `{name}` or `{name+}`"),
                );
                return false;
            }
        }
        let check = if path == "/" {
            "ANY /".to_string()
        } else {
            format!("ANY {path}")
        };
        if let Err(e) = RouteKey::parse(&check) {
            self.error(Problem::new(at, format!("path `{path}`: {e}")));
            return false;
        }
        true
    }

    fn operation(
        &mut self,
        operation: &Operation<'_>,
        op: &Value,
        shared: &[(Value, Ptr)],
        default_auth: &(Authorization, bool),
        default_validator: Option<String>,
    ) -> Option<Method> {
        let ptr = &operation.ptr;
        let name = format!("{} {}", operation.method, operation.path);
        let Some(fields) = op.as_object() else {
            self.error(Problem::new(ptr, format!("`{name}` is not a mapping")));
            return None;
        };
        let key = match RouteKey::parse(&name) {
            Ok(k) => k,
            Err(e) => {
                self.error(Problem::new(ptr, format!("`{name}`: {e}")));
                return None;
            }
        };

        // Declared parameters: the path's own, then those of the path item and operation.
        let mut request_parameters = BTreeMap::new();
        for segment in operation.path.split('/') {
            if let Some(p) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                request_parameters.insert(
                    format!("method.request.path.{}", p.trim_end_matches('+')),
                    true,
                );
            }
        }
        let mut request_models = BTreeMap::new();
        let mut params: Vec<(Value, Ptr)> = shared.to_vec();
        match fields.get("parameters") {
            Some(Value::Array(list)) => params.extend(
                list.iter()
                    .enumerate()
                    .map(|(i, p)| (p.clone(), ptr.key("parameters").index(i))),
            ),
            Some(_) => self.error(Problem::new(
                &ptr.key("parameters"),
                "`parameters` must be a list",
            )),
            None => {}
        }
        for (param, at) in &params {
            self.parameter(
                param,
                at,
                operation,
                fields,
                &mut request_parameters,
                &mut request_models,
            );
        }
        if let Some(body) = fields.get("requestBody") {
            self.request_body(
                body,
                &ptr.key("requestBody"),
                operation,
                &mut request_models,
            );
        }

        // Who may call.
        let (mut authorization, api_key_required) = match fields.get("security") {
            Some(s) => self.security(s, &ptr.key("security")),
            None => default_auth.clone(),
        };
        if let Some(auth) = fields.get("x-amazon-apigateway-auth") {
            let at = ptr.key("x-amazon-apigateway-auth");
            self.handle(&at);
            let kind = auth
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_ascii_uppercase);
            let wanted = match kind.as_deref() {
                Some("NONE") => Some(Authorization::None),
                Some("AWS_IAM") => Some(Authorization::Iam),
                _ => {
                    self.error(
                        Problem::new(
                            &at.key("type"),
                            "`x-amazon-apigateway-auth` type must be NONE or AWS_IAM",
                        )
                        .help("for an authorizer, name its security scheme in `security`"),
                    );
                    None
                }
            };
            if let Some(wanted) = wanted {
                if authorization != Authorization::None && authorization != wanted {
                    self.error(
                        Problem::new(&at.key("type"), format!("`x-amazon-apigateway-auth` says {} but `security` names an authorizer or IAM", kind.unwrap_or_default()))
                            .help("keep one of them"),
                    );
                } else {
                    authorization = wanted;
                }
            }
        }

        let validator = match fields.get("x-amazon-apigateway-request-validator") {
            Some(v) => self.validator_name(v, &ptr.key("x-amazon-apigateway-request-validator")),
            None => default_validator,
        };

        let integration_ptr = ptr.key("x-amazon-apigateway-integration");
        let Some(integration) = fields.get("x-amazon-apigateway-integration") else {
            let typo = fields
                .keys()
                .filter(|k| k.starts_with("x-amazon"))
                .find(|k| strsim::jaro_winkler(k, "x-amazon-apigateway-integration") > 0.9);
            let help = match typo {
                Some(k) => format!("`{k}` is misspelt: write `x-amazon-apigateway-integration`"),
                None => "API Gateway does not deploy a method without an integration: add `x-amazon-apigateway-integration` (type aws_proxy, aws, http_proxy, http or mock)".to_string(),
            };
            self.error(
                Problem::new(
                    ptr,
                    format!("`{name}` has no `x-amazon-apigateway-integration`"),
                )
                .help(help),
            );
            return None;
        };
        self.handle(&integration_ptr);
        let integration =
            self.integration(integration, &integration_ptr, &name, &request_parameters)?;
        Some(Method {
            key,
            authorization,
            api_key_required,
            validator,
            request_parameters,
            request_models,
            integration,
            origin: crate::rest::Origin {
                within: Some(format!("#{}", ptr.0)),
                ..Default::default()
            },
        })
    }

    /// Follows a local `$ref` (`#/components/parameters/p`), once.
    fn deref<'v>(&mut self, value: &'v Value, ptr: &Ptr) -> Option<(&'v Value, Ptr)>
    where
        'a: 'v,
    {
        let Some(reference) = value.get("$ref") else {
            return Some((value, ptr.clone()));
        };
        let at = ptr.key("$ref");
        let Some(target) = reference.as_str().and_then(|r| r.strip_prefix('#')) else {
            self.error(
                Problem::new(
                    &at,
                    format!(
                        "`$ref` {} is not a reference within the document",
                        text(reference)
                    ),
                )
                .help("bundle the document so that every `$ref` starts with `#/`"),
            );
            return None;
        };
        match self.doc.pointer(target) {
            Some(v) => Some((v, Ptr(target.to_string()))),
            None => {
                self.error(Problem::new(
                    &at,
                    format!("`$ref` `#{target}` points to nothing in the document"),
                ));
                None
            }
        }
    }

    fn parameter(
        &mut self,
        param: &Value,
        ptr: &Ptr,
        operation: &Operation<'_>,
        op: &Map<String, Value>,
        declared: &mut BTreeMap<String, bool>,
        models: &mut BTreeMap<String, String>,
    ) {
        let Some((param, ptr)) = self.deref(param, ptr) else {
            return;
        };
        let Some(fields) = param.as_object() else {
            self.error(Problem::new(&ptr, "a parameter must be a mapping"));
            return;
        };
        let location = fields.get("in").and_then(Value::as_str).unwrap_or("");
        let Some(name) = fields
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        else {
            self.error(Problem::new(
                &ptr.key("name"),
                "the parameter has no `name`",
            ));
            return;
        };
        let required = fields
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let kind = match location {
            "query" => "querystring",
            "header" => "header",
            "path" => {
                let key = format!("method.request.path.{name}");
                if !declared.contains_key(&key) {
                    self.error(
                        Problem::new(
                            &ptr.key("name"),
                            format!(
                                "path parameter `{name}` is not in the path `{}`",
                                operation.path
                            ),
                        )
                        .help(format!(
                            "add `{{{name}}}` to the path, or remove the parameter"
                        )),
                    );
                }
                return;
            }
            "body" if self.version == Version::Swagger2 => {
                let Some(schema) = fields.get("schema") else {
                    self.error(Problem::new(
                        &ptr.key("schema"),
                        "a body parameter needs a `schema`",
                    ));
                    return;
                };
                let types: Vec<String> = op
                    .get("consumes")
                    .or_else(|| self.doc.get("consumes"))
                    .and_then(Value::as_array)
                    .map(|c| {
                        c.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .filter(|c: &Vec<String>| !c.is_empty())
                    .unwrap_or_else(|| vec!["application/json".to_string()]);
                for content_type in types {
                    if let Some(model) =
                        self.schema_model(schema, &ptr.key("schema"), operation, &content_type)
                    {
                        models.insert(content_type, model);
                    }
                }
                return;
            }
            "cookie" | "formData" => {
                self.note(Problem::new(&ptr.key("in"), format!("`in: {location}` parameters are not declared by API Gateway; `{name}` is not checked")));
                return;
            }
            other => {
                let help = match self.version {
                    Version::OpenApi3 => "use query, header or path",
                    Version::Swagger2 => "use query, header, path or body",
                };
                self.error(
                    Problem::new(
                        &ptr.key("in"),
                        format!("`{other}` is not a parameter location"),
                    )
                    .help(help),
                );
                return;
            }
        };
        declared.insert(format!("method.request.{kind}.{name}"), required);
    }

    fn request_body(
        &mut self,
        body: &Value,
        ptr: &Ptr,
        operation: &Operation<'_>,
        models: &mut BTreeMap<String, String>,
    ) {
        let Some((body, ptr)) = self.deref(body, ptr) else {
            return;
        };
        let Some(content) = body.get("content") else {
            return;
        };
        let Some(content) = content.as_object() else {
            self.error(Problem::new(
                &ptr.key("content"),
                "`content` must be a mapping of media types",
            ));
            return;
        };
        for (content_type, media) in content {
            let Some(schema) = media.get("schema") else {
                continue;
            };
            let at = ptr.key("content").key(content_type).key("schema");
            if let Some(model) = self.schema_model(schema, &at, operation, content_type) {
                models.insert(content_type.clone(), model);
            }
        }
    }
}
