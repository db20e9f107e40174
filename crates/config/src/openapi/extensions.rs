//! The `x-amazon-apigateway-*` extensions the importer did not read, each reported as not
//! served, with where it would be read.

use serde_json::Value;

use super::{Importer, MAX_DEPTH, Problem, Ptr};

impl Importer<'_> {
    /// Reports every `x-amazon-apigateway-*` key that was not read.
    pub(super) fn walk_extensions(
        &self,
        value: &Value,
        ptr: &Ptr,
        depth: usize,
        found: &mut Vec<Problem>,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        match value {
            Value::Object(object) => {
                for (key, child) in object {
                    let at = ptr.key(key);
                    if self.containers.contains(&at.0) {
                        self.walk_extensions(child, &at, depth + 1, found);
                        continue;
                    }
                    if self.handled.contains(&at.0) {
                        continue;
                    }
                    if let Some(name) = key.strip_prefix("x-amazon-apigateway-") {
                        found.push(unsupported_extension(name, &at, depth == 0));
                        continue;
                    }
                    self.walk_extensions(child, &at, depth + 1, found);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.walk_extensions(item, &ptr.index(i), depth + 1, found);
                }
            }
            _ => {}
        }
    }
}

fn unsupported_extension(name: &str, at: &Ptr, top_level: bool) -> Problem {
    let full = format!("x-amazon-apigateway-{name}");
    let (message, help) = match name {
        "policy" => (
            "the resource policy is not enforced by Portico".to_string(),
            None,
        ),
        "endpoint-configuration" => (
            "endpoint types (EDGE, REGIONAL, PRIVATE) and VPC endpoints do not apply to Portico"
                .to_string(),
            None,
        ),
        "minimum-compression-size" => (
            "response compression is not served by Portico".to_string(),
            None,
        ),
        "documentation" => (
            "documentation parts are not served by Portico".to_string(),
            None,
        ),
        "tag-value" => ("tags do not apply to Portico".to_string(), None),
        "cors" => (
            "`x-amazon-apigateway-cors` applies to HTTP APIs only".to_string(),
            Some(
                "a REST API answers CORS preflights with its OPTIONS methods (e.g. a mock integration)",
            ),
        ),
        "integrations" => (
            "`x-amazon-apigateway-integrations` applies to HTTP APIs only".to_string(),
            Some("write each integration inline in its operation"),
        ),
        "request-validators"
        | "api-key-source"
        | "binary-media-types"
        | "gateway-responses"
        | "importexport-version"
            if !top_level =>
        {
            (
                format!("`{full}` is read at the top of the document only; here it is ignored"),
                Some("move it to the top level"),
            )
        }
        "integration" | "request-validator" | "auth" | "any-method" => (
            format!("`{full}` is read in operations only; here it is ignored"),
            Some("move it into an operation (get, post, ...)"),
        ),
        "authorizer" | "authtype" => (
            format!("`{full}` is read in security schemes only; here it is ignored"),
            Some("move it into a security scheme"),
        ),
        _ => (
            format!("`{full}` is not supported by Portico and is ignored"),
            None,
        ),
    };
    let problem = Problem::new(at, message);
    match help {
        Some(h) => problem.help(h),
        None => problem,
    }
}
