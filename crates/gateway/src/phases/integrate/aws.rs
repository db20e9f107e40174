//! AWS service integrations (`type: aws` with a service's URI): the request the templates
//! rendered, sent to the endpoint the config (`endpoints:`) or the environment
//! (`AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`) names for the service, as API Gateway
//! sends it: an `action/<Action>` of a query-protocol service (SQS, SNS) with `Action=` in
//! the query string, of a JSON-protocol one (DynamoDB, Kinesis, Step Functions, EventBridge)
//! with its `X-Amz-Target`; a `path/<path>` (S3, SQS's queue URLs) at that path; and HTTP
//! APIs' integration subtypes (`SQS-SendMessage`, ...) as the same actions; each
//! SigV4-signed for the service with the credentials functions get.

use std::collections::BTreeMap;
use std::time::SystemTime;

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use http::{HeaderMap, HeaderValue};

use super::proxy::set_header as insert;
use portico_config::Subtype;
use portico_config::rest::{ServiceCall, ServiceOperation};

/// The services' endpoints and what requests to them are signed with.
pub struct Services {
    /// By the SDK's name of the service (`sqs`, `dynamodb`, `eventbridge`, `sfn`).
    endpoints: BTreeMap<String, String>,
    /// `AWS_ENDPOINT_URL`: every service's, when it has none of its own.
    every: Option<String>,
    credentials: aws_credential_types::Credentials,
    region: String,
    /// For `${AWS::AccountId}` in a path.
    account_id: String,
}

/// A service request, ready to send.
pub struct Signed {
    pub method: http::Method,
    pub url: String,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
    /// JSON was asked for on the integration's behalf (`Accept: application/json` of a
    /// query-protocol service): an XML answer is read as the JSON AWS would give
    /// ([`json_of_xml`]).
    pub wants_json: bool,
}

impl Services {
    /// The endpoints of `config` (URLs; `portico` names none of these) and of Portico's
    /// environment; calls signed with `credentials` (the functions').
    pub fn new(
        config: &portico_config::Config,
        credentials: &portico_runtime::Credentials,
    ) -> Services {
        // Portico's environment wins over the config, as it does for functions.
        let mut endpoints: BTreeMap<String, String> = std::env::vars()
            .filter(|(_, url)| !url.is_empty())
            .filter_map(|(name, url)| {
                let service = name.strip_prefix("AWS_ENDPOINT_URL_")?;
                Some((service.to_ascii_lowercase(), url))
            })
            .collect();
        for (service, endpoint) in &config.endpoints {
            if let portico_config::Endpoint::Url(url) = endpoint {
                endpoints
                    .entry(service.clone())
                    .or_insert_with(|| url.clone());
            }
        }
        Services {
            endpoints,
            every: std::env::var("AWS_ENDPOINT_URL")
                .ok()
                .filter(|u| !u.is_empty()),
            credentials: aws_credential_types::Credentials::new(
                &credentials.access_key_id,
                &credentials.secret_access_key,
                credentials.session_token.clone(),
                None,
                "portico",
            ),
            region: config.region.clone(),
            account_id: config.account_id.clone(),
        }
    }

    /// Why `service` cannot be called (no endpoint), if it cannot.
    pub fn missing(&self, service: &str) -> Option<String> {
        if self.endpoint(service).is_some() {
            return None;
        }
        let name = sdk_name(service);
        Some(format!(
            "no endpoint for `{service}`: set `endpoints: {{{name}: <url>}}` in the config or AWS_ENDPOINT_URL_{}",
            name.to_ascii_uppercase()
        ))
    }

    /// `text` with CloudFormation's pseudo parameters (`${AWS::AccountId}`,
    /// `${AWS::Region}`, `${AWS::Partition}`, `${AWS::URLSuffix}`) as this config has them,
    /// as a template's `!Sub` of an integration URI writes them.
    fn pseudo_parameters(&self, text: &str, region: &str) -> String {
        text.replace("${AWS::AccountId}", &self.account_id)
            .replace("${AWS::Region}", region)
            .replace("${AWS::Partition}", "aws")
            .replace("${AWS::URLSuffix}", "amazonaws.com")
    }

    /// Where `service` (as an ARN names it) is reached, if anywhere.
    pub fn endpoint(&self, service: &str) -> Option<&str> {
        self.endpoints
            .get(sdk_name(service))
            .or(self.every.as_ref())
            .map(|url| url.trim_end_matches('/'))
    }

    /// The request `call` makes of its service: `payload` as the body, `headers` and
    /// `query` as the integration request mapped them, `path_parameters` for a path's
    /// `{name}`s; signed. `Err` says what is missing.
    pub fn request(
        &self,
        call: &ServiceCall,
        mut headers: HeaderMap,
        query: &[(String, String)],
        path_parameters: &[(String, String)],
        payload: &[u8],
    ) -> Result<Signed, String> {
        let endpoint = self
            .endpoint(&call.service)
            .ok_or_else(|| self.missing(&call.service).unwrap_or_default())?;
        let method = call
            .method
            .as_deref()
            .and_then(|m| http::Method::from_bytes(m.as_bytes()).ok())
            .unwrap_or(http::Method::POST);
        let region = call.region.as_deref().unwrap_or(&self.region);
        let mut query: Vec<(String, String)> = query.to_vec();
        let path = match &call.operation {
            ServiceOperation::Path(path) => crate::phases::integrate::proxy::target_url(
                &format!("/{}", self.pseudo_parameters(path, region)),
                path_parameters,
                "",
            ),
            ServiceOperation::Action(action) => {
                match json_protocol(&call.service) {
                    Some((prefix, content_type)) => {
                        let target = format!("{prefix}.{action}");
                        insert(&mut headers, "x-amz-target", &target);
                        if !headers.contains_key(http::header::CONTENT_TYPE) {
                            insert(&mut headers, "content-type", content_type);
                        }
                    }
                    None => {
                        query.insert(0, ("Action".to_string(), action.clone()));
                        // The query protocol's body is a form.
                        if !payload.is_empty() && !headers.contains_key(http::header::CONTENT_TYPE)
                        {
                            insert(
                                &mut headers,
                                "content-type",
                                "application/x-www-form-urlencoded",
                            );
                        }
                    }
                }
                "/".to_string()
            }
        };
        // Query-protocol services answer in JSON when asked (API Gateway asks), so that
        // `$input.path('$.SendMessageResponse...')` reads their answers.
        let wants_json = json_protocol(&call.service).is_none()
            && call.service != "s3"
            && !headers.contains_key(http::header::ACCEPT);
        if wants_json {
            insert(&mut headers, "accept", "application/json");
        }
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&query)
            .finish();
        let url =
            crate::phases::integrate::proxy::target_url(&format!("{endpoint}{path}"), &[], &query);
        insert(&mut headers, "host", &signed_host(&url));
        self.sign(&call.service, region, &method, &url, &mut headers, payload)?;
        // hyper writes the host from the URL.
        headers.remove(http::header::HOST);
        Ok(Signed {
            method,
            url,
            headers,
            body: bytes::Bytes::copy_from_slice(payload),
            wants_json,
        })
    }

    /// The request an HTTP API's service integration makes: `subtype`'s action with
    /// `values` (its parameters, mapped), as the service's protocol carries them: form
    /// fields for SQS, a JSON document for the others (EventBridge's one entry, Kinesis's
    /// `Data` base64-encoded).
    pub fn action(&self, subtype: Subtype, values: &[(&str, String)]) -> Result<Signed, String> {
        let value = |name: &str| {
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        };
        let region = value("Region").filter(|r| !r.is_empty());
        let (service, action) = subtype_action(subtype);
        let call = ServiceCall {
            service: service.to_string(),
            region,
            operation: ServiceOperation::Action(action.to_string()),
            method: None,
        };
        let fields = values.iter().filter(|(n, _)| *n != "Region");
        let payload = match subtype {
            // A form: `request` says so, as for any query-protocol action.
            Subtype::SqsSendMessage
            | Subtype::SqsReceiveMessage
            | Subtype::SqsDeleteMessage
            | Subtype::SqsPurgeQueue => form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields)
                .finish(),
            Subtype::EventBridgePutEvents => {
                let mut entry = serde_json::Map::new();
                for (name, text) in fields {
                    let json = match *name {
                        "Resources" => {
                            serde_json::from_str(text).unwrap_or_else(|_| serde_json::json!([text]))
                        }
                        _ => serde_json::Value::String(text.clone()),
                    };
                    entry.insert((*name).to_string(), json);
                }
                serde_json::json!({"Entries": [entry]}).to_string()
            }
            Subtype::KinesisPutRecord => {
                use base64::Engine;
                let mut record = serde_json::Map::new();
                for (name, text) in fields {
                    let text = match *name {
                        "Data" => base64::engine::general_purpose::STANDARD.encode(text),
                        _ => text.clone(),
                    };
                    record.insert((*name).to_string(), text.into());
                }
                serde_json::Value::Object(record).to_string()
            }
            Subtype::StepFunctionsStartExecution
            | Subtype::StepFunctionsStartSyncExecution
            | Subtype::StepFunctionsStopExecution => {
                // Step Functions' members are camelCase (`stateMachineArn`).
                let object: serde_json::Map<String, serde_json::Value> = fields
                    .map(|(name, text)| (lower_first(name), text.clone().into()))
                    .collect();
                serde_json::Value::Object(object).to_string()
            }
        };
        self.request(&call, HeaderMap::new(), &[], &[], payload.as_bytes())
    }

    fn sign(
        &self,
        service: &str,
        region: &str,
        method: &http::Method,
        url: &str,
        headers: &mut HeaderMap,
        payload: &[u8],
    ) -> Result<(), String> {
        let mut settings = SigningSettings::default();
        if service == "s3" {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
            settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
            settings.percent_encoding_mode = PercentEncodingMode::Single;
        }
        let identity = self.credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name(service)
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| format!("cannot sign for {service}: {e}"))?
            .into();
        let pairs: Vec<(String, String)> = headers
            .iter()
            .filter_map(|(n, v)| Some((n.to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let signable = SignableRequest::new(
            method.as_str(),
            url,
            pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            SignableBody::Bytes(payload),
        )
        .map_err(|e| format!("cannot sign for {service}: {e}"))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| format!("cannot sign for {service}: {e}"))?
            .into_parts();
        let (signed_headers, _) = instructions.into_parts();
        for header in signed_headers {
            insert(headers, header.name(), header.value());
        }
        Ok(())
    }
}

/// A query-protocol service's XML answer as the JSON it gives when asked for JSON: each
/// element an object of its child elements (a name repeated, a list), an element of text
/// its text, an empty one null; the root element's name the one key
/// (`{"SendMessageResponse": {"SendMessageResult": {"MessageId": ...}, ...}}`). `None` when
/// the answer is not XML.
pub fn json_of_xml(answer: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(answer).ok()?;
    let document = roxmltree::Document::parse(text).ok()?;
    let root = document.root_element();
    let mut out = serde_json::Map::new();
    out.insert(root.tag_name().name().to_string(), element_json(root));
    Some(serde_json::Value::Object(out).to_string())
}

fn element_json(node: roxmltree::Node<'_, '_>) -> serde_json::Value {
    use serde_json::Value;
    let mut children = node
        .children()
        .filter(roxmltree::Node::is_element)
        .peekable();
    if children.peek().is_none() {
        let text: String = node.children().filter_map(|c| c.text()).collect();
        return match text.trim() {
            "" => Value::Null,
            _ => Value::String(text),
        };
    }
    let mut object = serde_json::Map::new();
    for child in children {
        let name = child.tag_name().name().to_string();
        let value = element_json(child);
        match object.get_mut(&name) {
            Some(Value::Array(list)) => list.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
            None => {
                object.insert(name, value);
            }
        }
    }
    Value::Object(object)
}

/// The service (as ARNs name it) and action of a subtype.
pub fn subtype_action(subtype: Subtype) -> (&'static str, &'static str) {
    match subtype {
        Subtype::SqsSendMessage => ("sqs", "SendMessage"),
        Subtype::SqsReceiveMessage => ("sqs", "ReceiveMessage"),
        Subtype::SqsDeleteMessage => ("sqs", "DeleteMessage"),
        Subtype::SqsPurgeQueue => ("sqs", "PurgeQueue"),
        Subtype::EventBridgePutEvents => ("events", "PutEvents"),
        Subtype::KinesisPutRecord => ("kinesis", "PutRecord"),
        Subtype::StepFunctionsStartExecution => ("states", "StartExecution"),
        Subtype::StepFunctionsStartSyncExecution => ("states", "StartSyncExecution"),
        Subtype::StepFunctionsStopExecution => ("states", "StopExecution"),
    }
}

/// `StateMachineArn` as `stateMachineArn`.
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// The `Host` hyper sends for `url` (its authority without user info or the scheme's default
/// port), which the signature must cover.
fn signed_host(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let default = if scheme == "https" { ":443" } else { ":80" };
    authority
        .strip_suffix(default)
        .unwrap_or(authority)
        .to_string()
}

/// Sends `signed` through `proxy` within the payload limit and reads the answer whole,
/// marking the integration's time; an XML answer to a request that asked for JSON (a local
/// service's, such as moto's) is read as the JSON AWS gives ([`json_of_xml`]).
pub async fn send(
    proxy: &super::proxy::Proxy,
    signed: Signed,
    limit: Option<usize>,
    timeline: &mut crate::ctx::Timeline,
) -> Result<super::proxy::Called, crate::refusal::Refusal> {
    let outbound = super::proxy::Outbound {
        method: &signed.method,
        headers: &signed.headers,
        url: signed.url,
        body: super::proxy::whole(signed.body),
        limit,
    };
    let started = std::time::Instant::now();
    let called = super::proxy::call(proxy, outbound).await;
    timeline.mark(crate::ctx::INTEGRATE, started);
    let mut called = called?;
    if signed.wants_json
        && let Some(json) = json_of_xml(&called.body)
    {
        called.body = bytes::Bytes::from(json);
        called.headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    Ok(called)
}

/// The SDKs' name of a service an ARN names (what `AWS_ENDPOINT_URL_<NAME>` and `endpoints:`
/// use).
fn sdk_name(service: &str) -> &str {
    match service {
        "events" => "eventbridge",
        "states" => "sfn",
        "monitoring" => "cloudwatch",
        "email" => "ses",
        "logs" => "cloudwatch_logs",
        "secretsmanager" => "secrets_manager",
        "cognito-idp" => "cognito_identity_provider",
        other => other,
    }
}

/// A JSON-protocol service's `X-Amz-Target` prefix and content type; `None` for a
/// query-protocol one (its action goes in `Action=`).
fn json_protocol(service: &str) -> Option<(&'static str, &'static str)> {
    Some(match service {
        "dynamodb" => ("DynamoDB_20120810", "application/x-amz-json-1.0"),
        "kinesis" => ("Kinesis_20131202", "application/x-amz-json-1.1"),
        "states" => ("AWSStepFunctions", "application/x-amz-json-1.0"),
        "events" => ("AWSEvents", "application/x-amz-json-1.1"),
        "firehose" => ("Firehose_20150804", "application/x-amz-json-1.1"),
        "logs" => ("Logs_20140328", "application/x-amz-json-1.1"),
        "secretsmanager" => ("secretsmanager", "application/x-amz-json-1.1"),
        "ssm" => ("AmazonSSM", "application/x-amz-json-1.1"),
        "kms" => ("TrentService", "application/x-amz-json-1.1"),
        "cognito-idp" => (
            "AWSCognitoIdentityProviderService",
            "application/x-amz-json-1.1",
        ),
        "ecs" => (
            "AmazonEC2ContainerServiceV20141113",
            "application/x-amz-json-1.1",
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn services() -> Services {
        Services {
            endpoints: [("dynamodb".to_string(), "http://127.0.0.1:5000/".to_string())].into(),
            every: None,
            credentials: aws_credential_types::Credentials::new("AKID", "secret", None, None, "t"),
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
        }
    }

    #[test]
    fn a_path_takes_the_pseudo_parameters_a_template_writes() {
        let mut services = services();
        services
            .endpoints
            .insert("sqs".into(), "http://127.0.0.1:5001".into());
        let call = call(
            "sqs",
            ServiceOperation::Path("${AWS::AccountId}/orders-${AWS::Region}".into()),
        );
        let signed = services
            .request(&call, HeaderMap::new(), &[], &[], b"Action=SendMessage")
            .unwrap();
        assert_eq!(
            signed.url,
            "http://127.0.0.1:5001/123456789012/orders-us-east-1"
        );
    }

    fn call(service: &str, operation: ServiceOperation) -> ServiceCall {
        ServiceCall {
            service: service.into(),
            region: None,
            operation,
            method: Some("POST".into()),
        }
    }

    #[test]
    fn actions_of_json_services_name_their_target_and_requests_are_signed() {
        let call = call("dynamodb", ServiceOperation::Action("PutItem".into()));
        let signed = services()
            .request(&call, HeaderMap::new(), &[], &[], b"{}")
            .unwrap();
        assert_eq!(signed.url, "http://127.0.0.1:5000/");
        assert_eq!(signed.headers["x-amz-target"], "DynamoDB_20120810.PutItem");
        assert_eq!(signed.headers["content-type"], "application/x-amz-json-1.0");
        let authorization = signed.headers["authorization"].to_str().unwrap();
        assert!(
            authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKID/")
                && authorization.contains("/us-east-1/dynamodb/aws4_request"),
            "{authorization}"
        );
        assert!(signed.headers.contains_key("x-amz-date"));
    }

    #[test]
    fn an_xml_answer_reads_as_the_json_aws_gives() {
        let xml = br#"<?xml version="1.0"?>
<SendMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">
  <SendMessageResult><MessageId>m-1</MessageId><MD5OfMessageBody>abc</MD5OfMessageBody><SequenceNumber/></SendMessageResult>
  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>
</SendMessageResponse>"#;
        let json: serde_json::Value = serde_json::from_str(&json_of_xml(xml).unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"SendMessageResponse": {
                "SendMessageResult": {"MessageId": "m-1", "MD5OfMessageBody": "abc", "SequenceNumber": null},
                "ResponseMetadata": {"RequestId": "r-1"},
            }})
        );
        let repeated = b"<R><Item>a</Item><Item>b</Item><Item>c</Item></R>";
        assert_eq!(
            json_of_xml(repeated).unwrap(),
            r#"{"R":{"Item":["a","b","c"]}}"#
        );
        assert_eq!(json_of_xml(br#"{"already": "json"}"#), None);
    }

    #[test]
    fn the_signed_host_is_the_one_hyper_sends() {
        assert_eq!(signed_host("http://127.0.0.1:5000/q?x=1"), "127.0.0.1:5000");
        assert_eq!(signed_host("https://sqs.example:443/"), "sqs.example");
        assert_eq!(signed_host("http://user:pw@moto:80/a"), "moto");
    }

    #[test]
    fn a_service_without_an_endpoint_says_which_to_set() {
        let call = call("sqs", ServiceOperation::Path("123/q".into()));
        let why = services()
            .request(&call, HeaderMap::new(), &[], &[], b"")
            .err()
            .unwrap();
        assert!(why.contains("endpoints: {sqs: <url>}"), "{why}");
        assert!(why.contains("AWS_ENDPOINT_URL_SQS"), "{why}");
    }
}
