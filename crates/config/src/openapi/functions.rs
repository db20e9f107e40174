//! The Lambda functions that integration and authorizer URIs name (`arn:aws:apigateway:...`),
//! as ARNs, CloudFormation references or stage variables.

use serde_json::{Map, Value};

use super::{Importer, Problem, Ptr, kind_of};
use crate::FunctionRef;

pub(super) const LAMBDA_URI_FORM: &str =
    "arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function ARN}/invocations";

/// What an integration URI invokes.
pub(super) enum Target {
    /// A function, with the qualifier the ARN gives (unchecked: integrations check it,
    /// authorizers ignore it).
    Function(FunctionRef),
    /// Another AWS service (`s3`, `dynamodb`, ...): its name, the URI's region and what
    /// follows (`action/PutItem`, `path/{bucket}/{key}`).
    Service {
        service: String,
        region: String,
        rest: String,
    },
}

impl Importer<'_> {
    /// The function (or other AWS service) an `arn:aws:apigateway:...` URI invokes.
    pub(super) fn lambda_uri(&mut self, value: &Value, ptr: &Ptr) -> Option<Target> {
        let (template, vars) = match value {
            Value::String(s) => (s.clone(), Map::new()),
            Value::Object(o) if o.len() == 1 && o.contains_key("Fn::Sub") => match &o["Fn::Sub"] {
                Value::String(s) => (s.clone(), Map::new()),
                Value::Array(a) if a.len() == 2 && a[0].is_string() && a[1].is_object() => (
                    a[0].as_str().unwrap_or_default().to_string(),
                    a[1].as_object().cloned().unwrap_or_default(),
                ),
                _ => {
                    self.error(Problem::new(
                        &ptr.key("Fn::Sub"),
                        "`Fn::Sub` takes a string, or a string and a mapping of variables",
                    ));
                    return None;
                }
            },
            Value::Object(o) if o.keys().any(|k| k.starts_with("Fn::") || k == "Ref") => {
                let name = o.keys().next().cloned().unwrap_or_default();
                self.error(
                    Problem::new(ptr, format!("`{name}` cannot be evaluated here")).help(format!(
                        "write the URI as a string or with `Fn::Sub`: {LAMBDA_URI_FORM}"
                    )),
                );
                return None;
            }
            other => {
                self.error(
                    Problem::new(ptr, format!("the URI is {}, not a string", kind_of(other)))
                        .help(format!("write {LAMBDA_URI_FORM}")),
                );
                return None;
            }
        };
        let bad = |me: &mut Self, why: &str| {
            me.error(
                Problem::new(ptr, format!("`{template}` {why}"))
                    .help(format!("write {LAMBDA_URI_FORM}")),
            );
            None
        };
        // `${...}` placeholders may hold `:` and `/`: mask them while splitting.
        let Some((masked, holes)) = mask(&template) else {
            return bad(self, "has a `${` that is not closed");
        };
        let parts: Vec<&str> = masked.splitn(6, ':').collect();
        if parts.len() < 6 || parts[0] != "arn" {
            return bad(self, "is not an ARN");
        }
        if parts[2] == "lambda" {
            self.error(
                Problem::new(ptr, format!("`{template}` is a function ARN, not an API Gateway invocation URI"))
                    .help(format!("wrap it: arn:aws:apigateway:{{region}}:lambda:path/2015-03-31/functions/{template}/invocations")),
            );
            return None;
        }
        if parts[2] != "apigateway" {
            return bad(self, "is not an API Gateway invocation URI");
        }
        let service = unmask(parts[4], &holes);
        if service != "lambda" {
            return Some(Target::Service {
                service,
                region: unmask(parts[3], &holes),
                rest: unmask(parts[5], &holes),
            });
        }
        let Some(function_arn) = parts[5]
            .strip_prefix("path/2015-03-31/functions/")
            .and_then(|rest| rest.strip_suffix("/invocations"))
        else {
            return bad(
                self,
                "does not invoke a function (path/2015-03-31/functions/{function ARN}/invocations)",
            );
        };
        // The whole function ARN as one placeholder: `${MyFunction.Arn}` or a variable.
        if let Some(hole) = whole_hole(function_arn, &holes) {
            return self
                .function_reference(hole, &vars, ptr, true)
                .map(|name| Target::Function(FunctionRef::unqualified(&name)));
        }
        let fparts: Vec<&str> = function_arn.split(':').collect();
        if fparts.len() < 7
            || fparts.len() > 8
            || fparts[0] != "arn"
            || fparts[2] != "lambda"
            || fparts[5] != "function"
        {
            self.error(
                Problem::new(
                    ptr,
                    format!("`{}` is not a function ARN", unmask(function_arn, &holes)),
                )
                .help("write arn:aws:lambda:{region}:{account}:function:{name}"),
            );
            return None;
        }
        let name_masked = fparts[6];
        let qualifier = fparts.get(7).map(|q| unmask(q, &holes));
        let function = if let Some(hole) = whole_hole(name_masked, &holes) {
            self.function_reference(hole, &vars, ptr, false)?
        } else {
            let name = unmask(name_masked, &holes);
            if name.contains("${") {
                if !name.contains("${stageVariables.") {
                    self.error(
                        Problem::new(ptr, format!("the function name `{name}` cannot be derived"))
                            .help("name the function, or use a stage variable: function:${stageVariables.name}"),
                    );
                    return None;
                }
                // Resolved per stage by the gateway.
                return Some(Target::Function(FunctionRef { name, qualifier }));
            }
            self.function_name(&name, ptr)?
        };
        Some(Target::Function(FunctionRef {
            name: function,
            qualifier,
        }))
    }

    /// An integration's function: its qualifier, if written, must be one of its aliases or
    /// published versions (one made of stage variables is resolved per stage by the gateway).
    pub(super) fn invoked_function(&mut self, function: FunctionRef, ptr: &Ptr) -> FunctionRef {
        if let Some(q) = &function.qualifier
            && !q.contains("${")
            && !function.name.contains("${")
            && !(self.function_exists)(&function.to_string())
        {
            self.error(
                Problem::new(
                    ptr,
                    format!("function `{}` has no alias or version `{q}`", function.name),
                )
                .help(format!(
                    "declare the alias under the function's `aliases:` in portico.yaml (`{q}: {{}}`), or invoke `{}`",
                    function.name
                )),
            );
        }
        function
    }

    /// An authorizer's function: Portico runs the function's code for every qualifier, so a
    /// qualifier is noted and otherwise ignored.
    pub(super) fn authorizer_function(&mut self, function: FunctionRef, ptr: &Ptr) -> String {
        if let Some(qualifier) = &function.qualifier {
            self.note(Problem::new(ptr, format!("the qualifier `{qualifier}` is ignored: the authorizer invokes function `{}` as `$LATEST`", function.name)));
        }
        function.name
    }

    /// A function named by a placeholder: `${Fn.Arn}` (a CloudFormation resource), a
    /// `Fn::Sub` variable, `${Fn}` (a `Ref`, giving the name) or a stage variable.
    fn function_reference(
        &mut self,
        hole: &str,
        vars: &Map<String, Value>,
        ptr: &Ptr,
        want_arn: bool,
    ) -> Option<String> {
        if let Some(stage) = hole.strip_prefix("stageVariables.") {
            return Some(format!("${{stageVariables.{stage}}}"));
        }
        if let Some(var) = vars.get(hole) {
            let resource = match var {
                Value::String(s) if want_arn => {
                    // A literal ARN given as a variable.
                    let name = s.split(':').nth(6).unwrap_or("");
                    return self.function_name(name, ptr);
                }
                Value::String(s) => return self.function_name(s, ptr),
                Value::Object(o) => match (o.get("Ref"), o.get("Fn::GetAtt")) {
                    (Some(Value::String(r)), _) if !want_arn => Some(r.clone()),
                    (_, Some(Value::Array(a))) if want_arn && a.len() == 2 && a[1] == "Arn" => {
                        a[0].as_str().map(str::to_string)
                    }
                    (_, Some(Value::String(s))) if want_arn => {
                        s.strip_suffix(".Arn").map(str::to_string)
                    }
                    _ => None,
                },
                _ => None,
            };
            return match resource {
                Some(r) => self.resource_function(&r, ptr),
                None => {
                    let wanted = if want_arn {
                        "`Fn::GetAtt: [Function, Arn]`"
                    } else {
                        "`Ref: Function`"
                    };
                    self.error(
                        Problem::new(
                            &ptr.key("Fn::Sub").index(1).key(hole),
                            format!("the variable `{hole}` does not name a function"),
                        )
                        .help(format!(
                            "give {wanted} or the function's {}",
                            if want_arn { "ARN" } else { "name" }
                        )),
                    );
                    None
                }
            };
        }
        if hole.starts_with("AWS::") {
            self.error(
                Problem::new(ptr, format!("`${{{hole}}}` does not name a function"))
                    .help("name the function in the ARN: function:{name}"),
            );
            return None;
        }
        match hole.split_once('.') {
            Some((resource, "Arn")) if want_arn => self.resource_function(resource, ptr),
            None if !want_arn => self.resource_function(hole, ptr),
            None => {
                self.error(
                    Problem::new(
                        ptr,
                        format!("`${{{hole}}}` is a function's name, not its ARN"),
                    )
                    .help(format!("write `${{{hole}.Arn}}`")),
                );
                None
            }
            Some(_) => {
                self.error(
                    Problem::new(
                        ptr,
                        format!("the function named by `${{{hole}}}` cannot be derived"),
                    )
                    .help("use `${Function.Arn}`, or write the function's ARN"),
                );
                None
            }
        }
    }

    /// The function behind a CloudFormation resource: the one named like its logical id.
    fn resource_function(&mut self, resource: &str, ptr: &Ptr) -> Option<String> {
        if (self.function_exists)(resource) {
            return Some(resource.to_string());
        }
        let mut problem = Problem::new(
            ptr,
            format!("CloudFormation resource `{resource}` is not a function Portico knows"),
        );
        problem = match self.similar_function(resource) {
            Some(k) => problem.help(format!("did you mean `{k}`?")),
            None => problem.help(format!("name a function `{resource}` in portico.yaml (a resource stands for the function of the same name), or write the function's ARN")),
        };
        self.error(problem);
        None
    }

    fn function_name(&mut self, name: &str, ptr: &Ptr) -> Option<String> {
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            self.error(
                Problem::new(ptr, format!("`{name}` is not a function name"))
                    .help("function names are 1 to 64 letters, digits, `-` and `_`"),
            );
            return None;
        }
        if (self.function_exists)(name) {
            return Some(name.to_string());
        }
        let problem = Problem::new(ptr, format!("function `{name}` is not defined"));
        let problem = match self.similar_function(name) {
            Some(k) => problem.help(format!("did you mean `{k}`?")),
            None => problem.help(format!(
                "define `{name}` under `functions:` in portico.yaml, or name one that is"
            )),
        };
        self.error(problem);
        None
    }

    /// A defined function whose name differs from `name` only by case or `-`/`_`.
    fn similar_function(&self, name: &str) -> Option<String> {
        let mut candidates = vec![
            name.to_ascii_lowercase(),
            name.replace('-', "_"),
            name.replace('_', "-"),
            name.to_ascii_lowercase().replace('-', "_"),
            name.to_ascii_lowercase().replace('_', "-"),
        ];
        let mut chars = name.chars();
        if let Some(first) = chars.next() {
            candidates.push(first.to_ascii_uppercase().to_string() + chars.as_str());
            candidates.push(first.to_ascii_lowercase().to_string() + &name[first.len_utf8()..]);
        }
        candidates
            .into_iter()
            .find(|c| c != name && (self.function_exists)(c))
    }
}

/// Replaces each `${...}` with a NUL-delimited index; `None` if one is not closed.
fn mask(template: &str) -> Option<(String, Vec<String>)> {
    let mut masked = String::new();
    let mut holes = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        masked.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}')?;
        masked.push('\0');
        masked.push_str(&holes.len().to_string());
        masked.push('\0');
        holes.push(after[..end].to_string());
        rest = &after[end + 1..];
    }
    masked.push_str(rest);
    Some((masked, holes))
}

fn unmask(masked: &str, holes: &[String]) -> String {
    let mut out = String::new();
    for (i, piece) in masked.split('\0').enumerate() {
        if i % 2 == 1 {
            match piece.parse::<usize>().ok().and_then(|n| holes.get(n)) {
                Some(hole) => {
                    out.push_str("${");
                    out.push_str(hole);
                    out.push('}');
                }
                None => out.push_str(piece),
            }
        } else {
            out.push_str(piece);
        }
    }
    out
}

/// The placeholder `masked` consists of, if it is exactly one.
fn whole_hole<'h>(masked: &str, holes: &'h [String]) -> Option<&'h str> {
    let inner = masked.strip_prefix('\0')?.strip_suffix('\0')?;
    holes.get(inner.parse::<usize>().ok()?).map(String::as_str)
}
