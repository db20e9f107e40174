//! The Lambda API (2015-03-31): the paths of the operations Portico serves (invoking and
//! describing functions), the headers, the function-name forms it accepts, and the
//! `FunctionConfiguration` shape the describing ones answer with.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::errors::ServiceError;

/// The Lambda API operations Portico serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `POST /2015-03-31/functions/{name}/invocations`
    Invoke,
    /// `POST /2021-11-15/functions/{name}/response-streaming-invocations`
    InvokeWithResponseStream,
    /// `GET /2015-03-31/functions/`
    ListFunctions,
    /// `GET /2015-03-31/functions/{name}`
    GetFunction,
    /// `GET /2015-03-31/functions/{name}/configuration`
    GetFunctionConfiguration,
    /// `GET /2015-03-31/functions/{name}/versions`
    ListVersionsByFunction,
    /// `GET /2015-03-31/functions/{name}/aliases`
    ListAliases,
    /// `GET /2015-03-31/functions/{name}/aliases/{alias}`: the alias is [`alias_segment`].
    GetAlias,
}

impl Operation {
    /// The operation a request is for, and its (still percent-encoded) function segment
    /// (empty for ListFunctions).
    pub fn parse<'a>(method: &http::Method, path: &'a str) -> Option<(Operation, &'a str)> {
        use http::Method;
        if method == Method::GET
            && matches!(path, "/2015-03-31/functions" | "/2015-03-31/functions/")
        {
            return Some((Operation::ListFunctions, ""));
        }
        let routes = [
            (
                Operation::Invoke,
                Method::POST,
                "/2015-03-31/functions/",
                "/invocations",
            ),
            (
                Operation::InvokeWithResponseStream,
                Method::POST,
                "/2021-11-15/functions/",
                "/response-streaming-invocations",
            ),
            (
                Operation::GetFunctionConfiguration,
                Method::GET,
                "/2015-03-31/functions/",
                "/configuration",
            ),
            (
                Operation::ListVersionsByFunction,
                Method::GET,
                "/2015-03-31/functions/",
                "/versions",
            ),
            (
                Operation::ListAliases,
                Method::GET,
                "/2015-03-31/functions/",
                "/aliases",
            ),
            (
                Operation::GetFunction,
                Method::GET,
                "/2015-03-31/functions/",
                "",
            ),
        ];
        if method == Method::GET
            && let Some((function, _)) = alias_segments(path)
        {
            return Some((Operation::GetAlias, function));
        }
        routes.into_iter().find_map(|(op, wanted, prefix, suffix)| {
            let segment = path.strip_prefix(prefix)?.strip_suffix(suffix)?;
            (*method == wanted && !segment.is_empty() && !segment.contains('/'))
                .then_some((op, segment))
        })
    }

    /// The name AWS uses in error messages.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Invoke => "Invoke",
            Operation::InvokeWithResponseStream => "InvokeWithResponseStream",
            Operation::ListFunctions => "ListFunctions",
            Operation::GetFunction => "GetFunction",
            Operation::GetFunctionConfiguration => "GetFunctionConfiguration",
            Operation::ListVersionsByFunction => "ListVersionsByFunction",
            Operation::ListAliases => "ListAliases",
            Operation::GetAlias => "GetAlias",
        }
    }
}

/// The (still percent-encoded) alias segment of a `GetAlias` path.
pub fn alias_segment(path: &str) -> Option<&str> {
    alias_segments(path).map(|(_, alias)| alias)
}

/// `/2015-03-31/functions/{name}/aliases/{alias}` as its two segments.
fn alias_segments(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/2015-03-31/functions/")?;
    let (function, alias) = rest.split_once("/aliases/")?;
    (!function.is_empty() && !function.contains('/') && !alias.is_empty() && !alias.contains('/'))
        .then_some((function, alias))
}

pub const INVOCATION_TYPE: &str = "x-amz-invocation-type";
pub const LOG_TYPE: &str = "x-amz-log-type";
pub const CLIENT_CONTEXT: &str = "x-amz-client-context";
pub const FUNCTION_ERROR: &str = "x-amz-function-error";
pub const LOG_RESULT: &str = "x-amz-log-result";
pub const EXECUTED_VERSION: &str = "x-amz-executed-version";
pub const REQUEST_ID: &str = "x-amzn-requestid";
pub const TRACE_ID: &str = "x-amzn-trace-id";
pub const ERROR_TYPE: &str = "x-amzn-errortype";

/// The most bytes of base64 client context Lambda accepts.
pub const MAX_CLIENT_CONTEXT: usize = 3583;

/// `X-Amz-Invocation-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationType {
    RequestResponse,
    Event,
    DryRun,
}

impl InvocationType {
    pub fn parse(value: Option<&str>) -> Result<InvocationType, ServiceError> {
        match value {
            None | Some("RequestResponse") => Ok(InvocationType::RequestResponse),
            Some("Event") => Ok(InvocationType::Event),
            Some("DryRun") => Ok(InvocationType::DryRun),
            Some(other) => Err(ServiceError::InvalidParameterValue(format!(
                "1 validation error detected: Value '{other}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
            ))),
        }
    }
}

/// `X-Amz-Log-Type`: whether to return the log tail.
pub fn wants_tail(value: Option<&str>) -> Result<bool, ServiceError> {
    match value {
        None | Some("None") => Ok(false),
        Some("Tail") => Ok(true),
        Some(other) => Err(ServiceError::InvalidParameterValue(format!(
            "1 validation error detected: Value '{other}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [Tail, None]"
        ))),
    }
}

/// Reads the `{FunctionName}` path segment (already percent-decoded): a name, `name:qualifier`,
/// a partial ARN `123456789012:function:name` or a full ARN, and the `Qualifier` query value,
/// into the function's name and the qualifier.
pub fn function_ref(
    segment: &str,
    query_qualifier: Option<&str>,
) -> Result<(String, Option<String>), ServiceError> {
    let parts: Vec<&str> = segment.split(':').collect();
    let rest = match parts.as_slice() {
        ["arn", _partition, "lambda", _region, rest @ ..] => rest,
        all => all,
    };
    let (name, qualifier) = match rest {
        [name] | [_, "function", name] => (*name, None),
        [name, q] | [_, "function", name, q] => (*name, Some(*q)),
        _ => return Err(invalid_name(segment)),
    };
    let valid = |s: &str, extra: &[u8]| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b) || extra.contains(&b))
    };
    if !valid(name, b".") || name.len() > 64 || qualifier.is_some_and(|q| !valid(q, b"$")) {
        return Err(invalid_name(segment));
    }
    let qualifier = match (qualifier, query_qualifier) {
        (Some(a), Some(b)) if a != b => {
            return Err(ServiceError::InvalidParameterValue(
                "The derived qualifier from the function name does not match the specified qualifier.".into(),
            ));
        }
        (Some(a), _) => Some(a.to_string()),
        (None, b) => b.map(str::to_string),
    };
    Ok((name.to_string(), qualifier))
}

fn invalid_name(segment: &str) -> ServiceError {
    ServiceError::InvalidParameterValue(format!(
        "1 validation error detected: Value '{segment}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{{2}}(-gov)?-[a-z]+-\\d{{1}}:)?(\\d{{12}}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"
    ))
}

/// What the Lambda API says of a function (`FunctionConfiguration`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionDescription<'a> {
    pub name: &'a str,
    pub arn: String,
    /// `$LATEST` or a published version's number.
    pub version: &'a str,
    /// `python3.12`, `nodejs22.x`, `provided.al2023`.
    pub runtime: &'a str,
    pub role: String,
    pub handler: &'a str,
    /// Bytes of the function's code.
    pub code_size: u64,
    /// Base64 SHA-256 standing for the code package's.
    pub code_sha256: String,
    /// `2025-03-19T22:10:48.478+0000`.
    pub last_modified: String,
    pub revision_id: String,
    pub timeout_s: u64,
    pub memory_mb: u32,
    pub environment: &'a BTreeMap<String, String>,
    /// `x86_64` or `arm64`.
    pub architecture: &'a str,
}

impl FunctionDescription<'_> {
    /// As GetFunction and GetFunctionConfiguration answer; ListFunctions (`listed`) leaves
    /// out the state fields, as AWS does.
    pub fn configuration(&self, listed: bool) -> Value {
        let mut out = json!({
            "FunctionName": self.name,
            "FunctionArn": self.arn,
            "Runtime": self.runtime,
            "Role": self.role,
            "Handler": self.handler,
            "CodeSize": self.code_size,
            "Description": "",
            "Timeout": self.timeout_s,
            "MemorySize": self.memory_mb,
            "LastModified": self.last_modified,
            "CodeSha256": self.code_sha256,
            "Version": self.version,
            "TracingConfig": {"Mode": "PassThrough"},
            "RevisionId": self.revision_id,
            "PackageType": "Zip",
            "Architectures": [self.architecture],
            "EphemeralStorage": {"Size": 512},
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": format!("/aws/lambda/{}", self.name)},
        });
        if !self.environment.is_empty() {
            out["Environment"] = json!({"Variables": self.environment});
        }
        if !listed {
            out["State"] = json!("Active");
            out["LastUpdateStatus"] = json!("Successful");
        }
        out
    }
}

/// An `AliasConfiguration`, as GetAlias and ListAliases answer.
pub fn alias_configuration(arn: &str, name: &str, version: &str, revision_id: &str) -> Value {
    json!({
        "AliasArn": arn,
        "Name": name,
        "FunctionVersion": version,
        "Description": "",
        "RevisionId": revision_id,
    })
}

/// `arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]`.
pub fn function_arn(region: &str, account: &str, name: &str, qualifier: Option<&str>) -> String {
    match qualifier {
        Some(q) => format!("arn:aws:lambda:{region}:{account}:function:{name}:{q}"),
        None => format!("arn:aws:lambda:{region}:{account}:function:{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_operation_by_method_and_path() {
        use http::Method;
        type Row<'a> = (Method, &'a str, Option<(Operation, &'a str)>);
        let rows: &[Row] = &[
            (
                Method::POST,
                "/2015-03-31/functions/hello/invocations",
                Some((Operation::Invoke, "hello")),
            ),
            (
                Method::POST,
                "/2021-11-15/functions/hello/response-streaming-invocations",
                Some((Operation::InvokeWithResponseStream, "hello")),
            ),
            (Method::GET, "/2015-03-31/functions/hello/invocations", None),
            (Method::POST, "/2015-03-31/functions//invocations", None),
            (Method::POST, "/2015-03-31/functions/a/b/invocations", None),
            (Method::POST, "/2015-03-31/functions/hello", None),
            (
                Method::GET,
                "/2015-03-31/functions/",
                Some((Operation::ListFunctions, "")),
            ),
            (
                Method::GET,
                "/2015-03-31/functions/hello",
                Some((Operation::GetFunction, "hello")),
            ),
            (
                Method::GET,
                "/2015-03-31/functions/hello/configuration",
                Some((Operation::GetFunctionConfiguration, "hello")),
            ),
            (
                Method::GET,
                "/2015-03-31/functions/hello/versions",
                Some((Operation::ListVersionsByFunction, "hello")),
            ),
            (
                Method::GET,
                "/2015-03-31/functions/hello/aliases",
                Some((Operation::ListAliases, "hello")),
            ),
            (
                Method::GET,
                "/2015-03-31/functions/hello/aliases/live",
                Some((Operation::GetAlias, "hello")),
            ),
            (Method::GET, "/2015-03-31/functions/hello/aliases/", None),
            (Method::GET, "/2015-03-31/functions/hello/aliases/a/b", None),
            (Method::GET, "/2015-03-31/functions/a/b", None),
            (Method::DELETE, "/2015-03-31/functions/hello", None),
        ];
        for (method, path, expected) in rows {
            assert_eq!(Operation::parse(method, path), *expected, "{method} {path}");
        }
        assert_eq!(
            alias_segment("/2015-03-31/functions/hello/aliases/live"),
            Some("live")
        );
    }

    #[test]
    fn accepts_every_name_form_lambda_does() {
        let ok = |s: &str, q: Option<&str>| function_ref(s, q).unwrap();
        let f = |name: &str, q: Option<&str>| (name.to_string(), q.map(str::to_string));
        assert_eq!(ok("hello", None), f("hello", None));
        assert_eq!(ok("hello:$LATEST", None), f("hello", Some("$LATEST")));
        assert_eq!(ok("hello", Some("live")), f("hello", Some("live")));
        assert_eq!(ok("123456789012:function:hello", None), f("hello", None));
        assert_eq!(
            ok(
                "arn:aws:lambda:us-east-1:123456789012:function:hello:7",
                None
            ),
            f("hello", Some("7"))
        );
        for bad in ["", "a b", "x:y:z:w:v", "hello:", "arn:aws:s3:::bucket"] {
            assert!(function_ref(bad, None).is_err(), "{bad}");
        }
        assert!(function_ref("hello:1", Some("2")).is_err());
    }
}
