//! HTTP API parameter mappings: what a route changes in the request it sends on and in the
//! response it gets back (`append:header.x`, `overwrite:path`, `remove:querystring.q`,
//! `overwrite:statuscode`), and their values, parsed once at load: static text with
//! `$reference`s or `${reference}`s into the request, the response, the stage's variables,
//! the context and the authorizer, JSONPath included. A reference Portico does not know is an
//! error at load, not an empty value at run time.

use serde_json_path::JsonPath;

/// One HTTP API request parameter mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterMapping {
    pub action: MappingAction,
    pub target: MappingTarget,
    /// The value: static text, one `$request…`/`$context…`/`$stageVariables…` reference, or
    /// text with `${…}` references, parsed.
    pub value: MappingValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappingAction {
    Append,
    Overwrite,
    Remove,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingTarget {
    /// Lower-case header name.
    Header(String),
    Query(String),
    Path,
    /// The response's status code.
    StatusCode,
}

impl ParameterMapping {
    /// Headers a mapping may not touch, as API Gateway reserves them.
    const RESERVED: &'static [&'static str] = &[
        "authorization",
        "connection",
        "content-encoding",
        "content-length",
        "content-location",
        "forwarded",
        "keep-alive",
        "origin",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "via",
    ];

    /// Parses a request mapping, `append:header.x-name` and its value; `Err` says what is
    /// wrong.
    pub fn parse(key: &str, value: &str) -> Result<ParameterMapping, String> {
        let mapping = Self::parse_any(key, value)?;
        if mapping.target == MappingTarget::StatusCode {
            return Err("`statuscode` is mapped in `response_parameters`".into());
        }
        if mapping.value.reads_response() {
            return Err("a request mapping cannot read `$response`: there is none yet".into());
        }
        Ok(mapping)
    }

    /// Parses a response mapping: a header or `overwrite:statuscode`.
    pub fn parse_response(key: &str, value: &str) -> Result<ParameterMapping, String> {
        let mapping = Self::parse_any(key, value)?;
        if matches!(
            mapping.target,
            MappingTarget::Query(_) | MappingTarget::Path
        ) {
            return Err("a response has only headers and `statuscode` to map".into());
        }
        Ok(mapping)
    }

    fn parse_any(key: &str, value: &str) -> Result<ParameterMapping, String> {
        let (action, target) = key
            .split_once(':')
            .ok_or("a mapping key is `<action>:<target>`")?;
        let action = match action {
            "append" => MappingAction::Append,
            "overwrite" => MappingAction::Overwrite,
            "remove" => MappingAction::Remove,
            other => return Err(format!("`{other}` is not append, overwrite or remove")),
        };
        let target = match target.split_once('.') {
            _ if target == "path" => MappingTarget::Path,
            _ if target == "statuscode" => MappingTarget::StatusCode,
            Some(("header", name)) if !name.is_empty() => {
                let name = name.to_ascii_lowercase();
                if Self::RESERVED.contains(&name.as_str())
                    || name.starts_with("access-control-")
                    || name.starts_with("apigw-")
                    || name.starts_with("x-amz-")
                    || name.starts_with("x-amzn-")
                {
                    return Err(format!("header `{name}` is reserved by API Gateway"));
                }
                let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
                if !name.bytes().all(token) {
                    return Err(format!("`{name}` is not a header name"));
                }
                MappingTarget::Header(name)
            }
            Some(("querystring", name)) if !name.is_empty() => {
                MappingTarget::Query(name.to_string())
            }
            _ => {
                return Err(format!(
                    "`{target}` is not header.<name>, querystring.<name>, path or statuscode"
                ));
            }
        };
        if target == MappingTarget::Path && action != MappingAction::Overwrite {
            return Err("the path can only be overwritten".into());
        }
        if target == MappingTarget::StatusCode && action != MappingAction::Overwrite {
            return Err("the status code can only be overwritten".into());
        }
        let value = if action == MappingAction::Remove {
            MappingValue::default()
        } else {
            MappingValue::parse(value)?
        };
        Ok(ParameterMapping {
            action,
            target,
            value,
        })
    }
}

/// A mapping value, parsed: its text and references, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MappingValue {
    pub parts: Vec<ValuePart>,
}

/// A piece of a mapping value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValuePart {
    Text(String),
    Ref(Reference),
}

/// What a `$reference` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// `request.header.<name>` (lower-case): every value, comma-joined.
    RequestHeader(String),
    /// `request.querystring.<name>`: every value, comma-joined.
    RequestQuery(String),
    /// `request.path`: the path without the stage.
    RequestPath,
    /// `request.path.<name>`: a path parameter.
    RequestPathParameter(String),
    /// `request.body` (`None`: the whole body) or `request.body.<JSONPath>`: what AWS
    /// service integrations map from the request's JSON.
    RequestBody(Option<JsonPath>),
    /// `response.header.<name>` (lower-case).
    ResponseHeader(String),
    /// `response.body.<JSONPath>`, the path after `$.`.
    ResponseBody(JsonPath),
    /// `stageVariables.<name>`.
    StageVariable(String),
    /// `context.authorizer.<JSONPath>`: into what the authorizer said (a Lambda
    /// authorizer's context, a JWT's `claims.<name>`).
    Authorizer(JsonPath),
    /// `context.<name>`, one of [`CONTEXT_VARIABLES`].
    Context(&'static str),
}

/// The `$context` variables a mapping may read.
pub const CONTEXT_VARIABLES: &[&str] = &[
    "requestId",
    "stage",
    "httpMethod",
    "path",
    "routeKey",
    "identity.sourceIp",
    "identity.userAgent",
    "domainName",
    "accountId",
];

impl MappingValue {
    /// Parses one `$reference` (the whole value), or text with `${reference}` parts, or
    /// static text.
    pub fn parse(text: &str) -> Result<MappingValue, String> {
        if let Some(reference) = text.strip_prefix('$')
            && !text.contains("${")
        {
            return Ok(MappingValue {
                parts: vec![ValuePart::Ref(Reference::parse(reference)?)],
            });
        }
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            if start > 0 {
                parts.push(ValuePart::Text(rest[..start].to_string()));
            }
            let Some(end) = rest[start..].find('}') else {
                return Err(format!("`{text}` opens `${{` without closing it"));
            };
            let reference = &rest[start + 2..start + end];
            parts.push(ValuePart::Ref(Reference::parse(reference)?));
            rest = &rest[start + end + 1..];
        }
        if !rest.is_empty() {
            parts.push(ValuePart::Text(rest.to_string()));
        }
        Ok(MappingValue { parts })
    }

    fn references(&self) -> impl Iterator<Item = &Reference> {
        self.parts.iter().filter_map(|p| match p {
            ValuePart::Ref(r) => Some(r),
            ValuePart::Text(_) => None,
        })
    }

    /// Whether the value reads the integration's response body (which must then be read).
    pub fn reads_response_body(&self) -> bool {
        self.references()
            .any(|r| matches!(r, Reference::ResponseBody(_)))
    }

    /// Whether the value reads the request's body (which only AWS service integrations
    /// map).
    pub fn reads_request_body(&self) -> bool {
        self.references()
            .any(|r| matches!(r, Reference::RequestBody(_)))
    }

    /// Whether the value reads the integration's response at all.
    pub fn reads_response(&self) -> bool {
        self.references()
            .any(|r| matches!(r, Reference::ResponseBody(_) | Reference::ResponseHeader(_)))
    }
}

impl Reference {
    /// Parses a reference without its `$` (and braces).
    pub fn parse(reference: &str) -> Result<Reference, String> {
        let path = |path: &str| {
            JsonPath::parse(&format!("$.{path}"))
                .map_err(|e| format!("`{path}` in `${reference}` is not a JSONPath: {e}"))
        };
        let named = |name: &str| {
            if name.is_empty() {
                Err(format!("`${reference}` names nothing"))
            } else {
                Ok(name.to_string())
            }
        };
        if reference == "request.path" {
            return Ok(Reference::RequestPath);
        }
        if let Some(name) = reference.strip_prefix("request.header.") {
            return Ok(Reference::RequestHeader(named(name)?.to_ascii_lowercase()));
        }
        if let Some(name) = reference.strip_prefix("request.querystring.") {
            return Ok(Reference::RequestQuery(named(name)?));
        }
        if let Some(name) = reference.strip_prefix("request.path.") {
            return Ok(Reference::RequestPathParameter(named(name)?));
        }
        if reference == "request.body" {
            return Ok(Reference::RequestBody(None));
        }
        if let Some(body) = reference.strip_prefix("request.body.") {
            return Ok(Reference::RequestBody(Some(path(body)?)));
        }
        if let Some(name) = reference.strip_prefix("response.header.") {
            return Ok(Reference::ResponseHeader(named(name)?.to_ascii_lowercase()));
        }
        if let Some(body) = reference.strip_prefix("response.body.") {
            return Ok(Reference::ResponseBody(path(body)?));
        }
        if let Some(name) = reference.strip_prefix("stageVariables.") {
            return Ok(Reference::StageVariable(named(name)?));
        }
        if let Some(inner) = reference.strip_prefix("context.authorizer.") {
            return Ok(Reference::Authorizer(path(inner)?));
        }
        if let Some(name) = reference.strip_prefix("context.") {
            return CONTEXT_VARIABLES
                .iter()
                .find(|v| **v == name)
                .map(|v| Reference::Context(v))
                .ok_or_else(|| {
                    format!(
                        "`$context.{name}` is not one Portico maps; use one of {}",
                        CONTEXT_VARIABLES.join(", ")
                    )
                });
        }
        Err(format!(
            "`${reference}` is not a reference: use $request.header.<name>, $request.querystring.<name>, $request.path[.<name>], $request.body[.<JSONPath>], $response.header.<name>, $response.body.<JSONPath>, $stageVariables.<name>, $context.<name> or $context.authorizer.<key>"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_parsed_into_text_and_references() {
        let value = MappingValue::parse("/v2/${request.path.id}/${stageVariables.table}").unwrap();
        assert_eq!(
            value.parts,
            [
                ValuePart::Text("/v2/".into()),
                ValuePart::Ref(Reference::RequestPathParameter("id".into())),
                ValuePart::Text("/".into()),
                ValuePart::Ref(Reference::StageVariable("table".into())),
            ]
        );
        assert_eq!(
            MappingValue::parse("$request.header.X-A").unwrap().parts,
            [ValuePart::Ref(Reference::RequestHeader("x-a".into()))]
        );
        assert_eq!(
            MappingValue::parse("static").unwrap().parts,
            [ValuePart::Text("static".into())]
        );
        assert!(
            MappingValue::parse("$response.body.a")
                .unwrap()
                .reads_response_body()
        );
        assert!(
            !MappingValue::parse("$response.header.a")
                .unwrap()
                .reads_response_body()
        );
    }

    #[test]
    fn unknown_references_and_broken_paths_are_errors_at_load() {
        for (value, said) in [
            ("$request.nope.x", "is not a reference"),
            ("$context.requestTimeEpochNs", "not one Portico maps"),
            ("$response.body.items[", "is not a JSONPath"),
            ("a ${request.header.x", "without closing"),
            ("$request.header.", "names nothing"),
        ] {
            let error = MappingValue::parse(value).unwrap_err();
            assert!(error.contains(said), "{value}: {error}");
        }
    }

    #[test]
    fn a_request_mapping_cannot_read_the_response() {
        let error =
            ParameterMapping::parse("append:header.x", "$response.header.etag").unwrap_err();
        assert!(error.contains("$response"), "{error}");
        assert!(
            ParameterMapping::parse_response("append:header.x", "$response.header.etag").is_ok()
        );
    }
}
