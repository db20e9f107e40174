//! Map: the request becomes the event the function receives.

use bytes::Bytes;
use portico_events::http_v1::Flavor;
use portico_events::http_v2::{self, Endpoint, RequestInfo};

use portico_config::Function;

use crate::ctx::{Flow, RequestCtx};
use crate::refusal::{Kind, Refusal};

/// Function URLs have no stage, hence no stage variables.
static NO_VARIABLES: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();

/// The Function URL event (payload format 2.0, `routeKey` `$default`), within the
/// function's payload limit.
pub fn function_url(ctx: &mut RequestCtx, function: &Function, account_id: &str) -> Flow {
    let name = function.name.as_str();
    let request_id = ctx.request_id.clone();
    let authorizer = ctx.authorizer.take();
    let endpoint = Target {
        api_id: name,
        route_key: "$default",
        stage: "$default",
        path_parameters: &[],
        stage_variables: &NO_VARIABLES,
        request_id: &request_id,
        format: Format::V2,
        authorizer: authorizer.as_ref(),
    };
    let flow = lambda_event(ctx, &endpoint, account_id, function.limits.sync_payload);
    ctx.authorizer = authorizer;
    flow
}

/// An API's Lambda proxy event (an HTTP API route's 2.0 or 1.0, a REST method's REST
/// 1.0, as `target` says), within the function's payload limit.
pub fn api(
    ctx: &mut RequestCtx,
    target: &Target<'_>,
    function: &Function,
    account_id: &str,
) -> Flow {
    lambda_event(ctx, target, account_id, function.limits.sync_payload)
}

/// Where a 2.0 event is going: the parts of `requestContext` that differ between doors.
pub struct Target<'a> {
    pub api_id: &'a str,
    pub route_key: &'a str,
    pub stage: &'a str,
    pub path_parameters: &'a [(String, String)],
    pub stage_variables: &'a std::collections::BTreeMap<String, String>,
    /// `requestContext.requestId`.
    pub request_id: &'a str,
    /// The event's format, and for 1.0 the route's path template (`resource`).
    pub format: Format<'a>,
    /// `requestContext.authorizer`, from the authorize phase.
    pub authorizer: Option<&'a serde_json::Value>,
}

/// Which Lambda proxy event to build.
#[derive(Debug, Clone, Copy)]
pub enum Format<'a> {
    V2,
    V1 {
        resource: &'a str,
    },
    /// A REST API's Lambda proxy event (1.0, REST's flavor); `binary`: the body's content
    /// type is one of the API's binary media types.
    Rest {
        resource: &'a str,
        binary: bool,
    },
}

/// The event, refused beyond the function's payload limit.
fn lambda_event(
    ctx: &mut RequestCtx,
    target: &Target<'_>,
    account_id: &str,
    limit: Option<usize>,
) -> Flow {
    let event = build(ctx, target, account_id, &ctx.body);
    if portico_config::limits::exceeds(event.len(), limit) {
        return Flow::Refuse(Refusal::new(Kind::TooLarge { limit }, "event too large"));
    }
    ctx.event = Bytes::from(event);
    Flow::Continue
}

/// The event for `target` in its format, with `body`.
fn build(ctx: &RequestCtx, target: &Target<'_>, account_id: &str, body: &[u8]) -> Vec<u8> {
    // The host without its port (`[::1]:3000` → `[::1]`).
    let host = ctx.header("host").unwrap_or("localhost");
    let domain = host
        .parse::<http::uri::Authority>()
        .map_or_else(|_| host.to_string(), |a| a.host().to_string());
    let added = ctx.added_headers();
    let source_ip = ctx.remote.ip().to_string();
    let info = RequestInfo {
        method: ctx.method.as_str(),
        path: &ctx.path,
        query: &ctx.query,
        headers: &ctx.headers,
        header_names: &ctx.header_names,
        added_headers: &added,
        protocol: ctx.protocol,
        source_ip: &source_ip,
        body,
        request_id: target.request_id,
        time: ctx.received,
    };
    let endpoint = Endpoint {
        account_id,
        api_id: target.api_id,
        domain_name: &domain,
        domain_prefix: target.api_id,
        route_key: target.route_key,
        stage: target.stage,
        path_parameters: target.path_parameters,
        stage_variables: target.stage_variables,
        authorizer: target.authorizer,
    };
    match target.format {
        Format::V2 => http_v2::event(&info, &endpoint),
        Format::V1 { resource } => {
            portico_events::http_v1::event(&info, &endpoint, resource, Flavor::HttpApi)
        }
        Format::Rest { resource, binary } => {
            portico_events::http_v1::event(&info, &endpoint, resource, Flavor::Rest { binary })
        }
    }
}

/// A Lambda authorizer's event (`type: REQUEST`, payload format 2.0 or 1.0): the request without
/// its body (nor `isBase64Encoded`), the route's ARN and the identity sources' values.
pub fn authorizer_event(
    ctx: &RequestCtx,
    target: &Target<'_>,
    route: &portico_config::Route,
    format: portico_config::PayloadFormat,
    account_id: &str,
    route_arn: &str,
    identity: &[String],
) -> Bytes {
    let v1 = format == portico_config::PayloadFormat::V1;
    let target = Target {
        format: if v1 {
            Format::V1 {
                resource: route.key.path_template(),
            }
        } else {
            Format::V2
        },
        ..*target
    };
    let event = build(ctx, &target, account_id, b"");
    let mut event: serde_json::Value = serde_json::from_slice(&event).unwrap_or_default();
    if let Some(fields) = event.as_object_mut() {
        fields.insert("type".into(), "REQUEST".into());
        fields.remove("body");
        fields.remove("isBase64Encoded");
        if v1 {
            // The REST request authorizer's shape: `methodArn`, the identity joined by commas
            // (as `identitySource` and `authorizationToken`).
            let joined = identity.join(",");
            fields.insert("methodArn".into(), route_arn.into());
            fields.insert("identitySource".into(), joined.clone().into());
            fields.insert("authorizationToken".into(), joined.into());
        } else {
            fields.insert("routeArn".into(), route_arn.into());
            fields.insert("identitySource".into(), identity.into());
        }
    }
    Bytes::from(serde_json::to_vec(&event).unwrap_or_default())
}

/// A REST Lambda authorizer's `REQUEST` event: REST's 1.0 event without the body, with
/// `type` and the `methodArn` asked about.
pub fn rest_authorizer_event(
    ctx: &RequestCtx,
    target: &Target<'_>,
    account_id: &str,
    method_arn: &str,
) -> Bytes {
    let event = build(ctx, target, account_id, b"");
    let mut event: serde_json::Value = serde_json::from_slice(&event).unwrap_or_default();
    if let Some(fields) = event.as_object_mut() {
        fields.insert("type".into(), "REQUEST".into());
        fields.insert("methodArn".into(), method_arn.into());
        fields.remove("body");
        fields.remove("isBase64Encoded");
    }
    Bytes::from(serde_json::to_vec(&event).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use http::Request;
    use portico_config::{Limits, PayloadFormat};
    use portico_observe::Target as Door;
    use serde_json::{Value, json};

    use super::*;
    use crate::ctx::testing;

    const ACCOUNT: &str = "123456789012";

    /// A function whose events may be `sync_payload` bytes long.
    fn function(sync_payload: Option<usize>) -> Function {
        Function {
            name: "hello".into(),
            runtime: portico_config::Runtime::Provided,
            runtime_name: "provided.al2023".into(),
            handler: "bootstrap".into(),
            code: "/var/task".into(),
            command: None,
            web: None,
            timeout: std::time::Duration::from_secs(3),
            memory_mb: 128,
            concurrency: 1,
            idle_timeout: std::time::Duration::from_secs(60),
            environment: BTreeMap::new(),
            limits: Limits {
                sync_payload,
                ..Limits::AWS
            },
            url: None,
            aliases: BTreeMap::new(),
            layers: Vec::new(),
            package_layers: Vec::new(),
            build: None,
            sdk: None,
        }
    }

    /// `POST /items/a%20b?b=2&a=1&a=3` to a Function URL, with `body` of `content_type`.
    fn url_request(content_type: Option<&str>, body: &[u8]) -> RequestCtx {
        let mut request = Request::post("/items/a%20b?b=2&a=1&a=3")
            .header("host", "abc.lambda-url.localhost:3000")
            .header("user-agent", "curl/8")
            .header("x-repeated", "one")
            .header("x-repeated", "two")
            .header("cookie", "a=1; b=2");
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let mut ctx = testing::request(request.body(()).unwrap(), Door::function_url("hello"));
        ctx.body = Bytes::copy_from_slice(body);
        ctx
    }

    /// The Function URL event of `ctx`, which must be within the limit.
    fn url_event(ctx: &mut RequestCtx) -> Value {
        let flow = function_url(ctx, &function(None), ACCOUNT);
        assert!(matches!(flow, Flow::Continue));
        serde_json::from_slice(&ctx.event).unwrap()
    }

    #[test]
    fn a_function_url_event_is_payload_format_2_0_of_the_default_route() {
        let mut ctx = url_request(Some("application/json"), br#"{"n":1}"#);
        let event = url_event(&mut ctx);
        assert_eq!(event["version"], "2.0");
        assert_eq!(event["routeKey"], "$default");
        assert_eq!(event["rawPath"], "/items/a%20b");
        assert_eq!(event["rawQueryString"], "b=2&a=1&a=3");
        assert_eq!(
            event["queryStringParameters"],
            json!({"a": "1,3", "b": "2"})
        );
        assert_eq!(event["cookies"], json!(["a=1", "b=2"]));
        let context = &event["requestContext"];
        assert_eq!(context["routeKey"], "$default");
        assert_eq!(context["stage"], "$default");
        assert_eq!(context["accountId"], ACCOUNT);
        assert_eq!(context["requestId"], ctx.request_id.as_str());
        assert_eq!(context["domainName"], "abc.lambda-url.localhost");
        assert_eq!(context["http"]["method"], "POST");
        assert_eq!(context["http"]["path"], "/items/a%20b");
        assert_eq!(context["http"]["sourceIp"], "127.0.0.1");
        assert_eq!(context["http"]["userAgent"], "curl/8");
        assert!(context.get("authorizer").is_none(), "{context}");
        // Clients built on aws_lambda_events read it.
        let read: aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest =
            serde_json::from_value(event).unwrap();
        assert_eq!(read.raw_path.as_deref(), Some("/items/a%20b"));
        assert_eq!(read.body.as_deref(), Some(r#"{"n":1}"#));
    }

    #[test]
    fn the_domain_name_is_the_host_without_its_port() {
        for (host, domain) in [
            ("abc.lambda-url.localhost:3000", "abc.lambda-url.localhost"),
            ("abc.lambda-url.localhost", "abc.lambda-url.localhost"),
            ("[::1]:3000", "[::1]"),
            ("[::1]", "[::1]"),
            ("127.0.0.1:3000", "127.0.0.1"),
        ] {
            let request = Request::get("/").header("host", host).body(()).unwrap();
            let mut ctx = testing::request(request, Door::function_url("hello"));
            let event = url_event(&mut ctx);
            assert_eq!(event["requestContext"]["domainName"], domain, "{host}");
        }
    }

    #[test]
    fn the_function_url_event_leaves_the_callers_identity_for_later_phases() {
        let mut ctx = url_request(None, b"");
        let iam = json!({"iam": {"accessKey": "AKIDEXAMPLE"}});
        ctx.authorizer = Some(iam.clone());
        let event = url_event(&mut ctx);
        assert_eq!(event["requestContext"]["authorizer"], iam);
        assert_eq!(ctx.authorizer, Some(iam));
    }

    #[test]
    fn a_function_url_event_has_the_requests_headers_and_those_lambda_adds() {
        let mut ctx = url_request(None, b"");
        let event = url_event(&mut ctx);
        let headers = &event["headers"];
        assert_eq!(headers["x-repeated"], "one,two", "repeats joined");
        assert!(headers.get("cookie").is_none(), "cookies go in `cookies`");
        assert_eq!(headers["host"], "abc.lambda-url.localhost:3000");
        assert_eq!(headers["x-forwarded-for"], "127.0.0.1");
        assert_eq!(headers["x-forwarded-port"], "3000");
        assert_eq!(headers["x-forwarded-proto"], "http");
        assert_eq!(headers["x-amzn-trace-id"], ctx.trace_id.as_str());
    }

    #[test]
    fn a_body_goes_as_text_unless_it_is_binary_then_as_base64() {
        // content type, body, the event's body, isBase64Encoded
        type Row<'a> = (Option<&'a str>, &'a [u8], Option<&'a str>, bool);
        let rows: [Row; 5] = [
            (Some("application/json"), b"{}", Some("{}"), false),
            (Some("text/plain; charset=utf-8"), b"hi", Some("hi"), false),
            (Some("image/png"), b"hi", Some("aGk="), true),
            (None, &[0xff, 0xfe], Some("//4="), true),
            (Some("text/plain"), b"", None, false),
        ];
        for (content_type, body, expected, base64) in rows {
            let event = url_event(&mut url_request(content_type, body));
            assert_eq!(event["body"].as_str(), expected, "{content_type:?}");
            assert_eq!(event["isBase64Encoded"], base64, "{content_type:?}");
        }
    }

    #[test]
    fn what_the_authorizer_said_is_in_the_request_context() {
        let mut ctx = url_request(None, b"");
        let said = json!({"iam": {"accessKey": "AKID", "userArn": "arn:aws:iam::1:user/AKID"}});
        ctx.authorizer = Some(said.clone());
        let event = url_event(&mut ctx);
        assert_eq!(event["requestContext"]["authorizer"], said);
    }

    #[test]
    fn an_event_over_the_functions_payload_limit_is_refused_as_too_large() {
        let mut ctx = url_request(Some("text/plain"), &[b'x'; 100]);
        url_event(&mut ctx);
        let size = ctx.event.len();
        let at_the_limit = function_url(&mut ctx, &function(Some(size)), ACCOUNT);
        assert!(
            matches!(at_the_limit, Flow::Continue),
            "the limit itself is allowed"
        );
        ctx.event = Bytes::new();
        match function_url(&mut ctx, &function(Some(size - 1)), ACCOUNT) {
            Flow::Refuse(Refusal {
                kind: Kind::TooLarge { limit },
                ..
            }) => assert_eq!(limit, Some(size - 1)),
            _ => panic!("an event over the limit is refused"),
        }
        assert!(ctx.event.is_empty(), "no event is kept");
    }

    /// `GET /prod/pets/7?tag=a&tag=b` with a repeated header, as an HTTP API's stage `prod`
    /// route `GET /pets/{id}` takes it.
    fn api_request() -> RequestCtx {
        let request = Request::get("/prod/pets/7?tag=a&tag=b")
            .header("host", "shop.execute-api.localhost")
            .header("x-repeated", "one")
            .header("x-repeated", "two")
            .body(())
            .unwrap();
        testing::request(request, Door::http_api("shop"))
    }

    static STAGE_VARIABLES: std::sync::LazyLock<BTreeMap<String, String>> =
        std::sync::LazyLock::new(|| [("v".to_string(), "1".to_string())].into());

    /// The route `GET /pets/{id}` of the API `shop`'s stage `prod`, in `format`.
    fn api_target<'a>(format: Format<'a>, path_parameters: &'a [(String, String)]) -> Target<'a> {
        Target {
            api_id: "shop",
            route_key: "GET /pets/{id}",
            stage: "prod",
            path_parameters,
            stage_variables: &STAGE_VARIABLES,
            request_id: "apigw-1",
            format,
            authorizer: None,
        }
    }

    fn api_event(ctx: &mut RequestCtx, format: Format<'_>) -> Value {
        let id = [("id".to_string(), "7".to_string())];
        let flow = api(ctx, &api_target(format, &id), &function(None), ACCOUNT);
        assert!(matches!(flow, Flow::Continue));
        serde_json::from_slice(&ctx.event).unwrap()
    }

    #[test]
    fn an_http_api_route_of_format_1_0_gets_the_1_0_event() {
        let format = Format::V1 {
            resource: "/pets/{id}",
        };
        let event = api_event(&mut api_request(), format);
        assert_eq!(event["version"], "1.0");
        assert_eq!(event["resource"], "/pets/{id}");
        assert_eq!(event["path"], "/prod/pets/7");
        assert_eq!(event["httpMethod"], "GET");
        assert_eq!(
            event["multiValueHeaders"]["x-repeated"],
            json!(["one", "two"])
        );
        assert_eq!(event["headers"]["x-repeated"], "two", "the last value");
        assert_eq!(event["queryStringParameters"], json!({"tag": "b"}));
        assert_eq!(
            event["multiValueQueryStringParameters"],
            json!({"tag": ["a", "b"]})
        );
        assert_eq!(event["pathParameters"], json!({"id": "7"}));
        assert_eq!(event["stageVariables"], json!({"v": "1"}));
        assert_eq!(event["body"], Value::Null);
        let context = &event["requestContext"];
        assert_eq!(context["requestId"], "apigw-1");
        assert_eq!(context["stage"], "prod");
        assert_eq!(context["resourcePath"], "/pets/{id}");
        assert_eq!(context["accountId"], ACCOUNT);
        let read: aws_lambda_events::event::apigw::ApiGatewayProxyRequest =
            serde_json::from_value(event).unwrap();
        assert_eq!(read.resource.as_deref(), Some("/pets/{id}"));
        assert_eq!(
            read.multi_value_headers
                .get_all("x-repeated")
                .iter()
                .count(),
            2
        );
    }

    #[test]
    fn an_http_api_route_of_format_2_0_gets_its_route_and_stage() {
        let event = api_event(&mut api_request(), Format::V2);
        assert_eq!(event["version"], "2.0");
        assert_eq!(event["routeKey"], "GET /pets/{id}");
        assert_eq!(event["requestContext"]["stage"], "prod");
        assert_eq!(event["pathParameters"], json!({"id": "7"}));
        let read: aws_lambda_events::event::apigw::ApiGatewayV2httpRequest =
            serde_json::from_value(event).unwrap();
        assert_eq!(read.stage_variables["v"], "1");
    }

    #[test]
    fn a_rest_event_has_no_version_and_its_context_path_has_the_stage() {
        let mut ctx = api_request();
        ctx.path = "/pets/7".into(); // the REST door's resource path
        let format = Format::Rest {
            resource: "/pets/{id}",
            binary: false,
        };
        let event = api_event(&mut ctx, format);
        assert!(event.get("version").is_none(), "{event}");
        assert_eq!(event["resource"], "/pets/{id}");
        assert_eq!(event["path"], "/pets/7");
        assert_eq!(event["requestContext"]["path"], "/prod/pets/7");
        assert_eq!(event["requestContext"]["deploymentId"], "shop");
        assert_eq!(
            event["multiValueHeaders"]["x-repeated"],
            json!(["one", "two"])
        );
        let read: aws_lambda_events::event::apigw::ApiGatewayProxyRequest =
            serde_json::from_value(event).unwrap();
        assert_eq!(read.request_context.stage.as_deref(), Some("prod"));
    }

    #[test]
    fn a_rest_event_body_is_base64_exactly_when_its_type_is_binary() {
        // body, binary media type, the event's body, isBase64Encoded
        let rows: [(&[u8], bool, &str, bool); 3] = [
            (b"hi", true, "aGk=", true),
            (b"hi", false, "hi", false),
            (&[b'h', 0xff], false, "h\u{fffd}", false),
        ];
        for (body, binary, expected, base64) in rows {
            let mut ctx = api_request();
            ctx.body = Bytes::copy_from_slice(body);
            let format = Format::Rest {
                resource: "/pets/{id}",
                binary,
            };
            let event = api_event(&mut ctx, format);
            assert_eq!(event["body"], expected, "{body:?} {binary}");
            assert_eq!(event["isBase64Encoded"], base64, "{body:?} {binary}");
        }
    }

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:shop/prod/GET/pets/7";

    /// A Lambda authorizer's event for `api_request()` with a body, in `format`.
    fn authorizer(format: PayloadFormat) -> Value {
        let mut ctx = api_request();
        ctx.body = Bytes::from_static(b"secret body");
        let id = [("id".to_string(), "7".to_string())];
        let target = api_target(Format::V2, &id);
        let route = testing::route("GET /pets/{id}");
        let identity = ["token".to_string(), "7".to_string()];
        let event = authorizer_event(&ctx, &target, &route, format, ACCOUNT, ARN, &identity);
        serde_json::from_slice(&event).unwrap()
    }

    /// The fields of `event` that tell an authorizer event's kind, those it has.
    fn authorizer_fields(event: &Value) -> Value {
        let keys = [
            "version",
            "type",
            "routeArn",
            "methodArn",
            "identitySource",
            "authorizationToken",
            "body",
            "isBase64Encoded",
        ];
        let present = keys
            .iter()
            .filter_map(|k| Some((k.to_string(), event.get(*k)?.clone())));
        Value::Object(present.collect())
    }

    #[test]
    fn a_2_0_authorizer_event_names_the_route_and_its_identity_sources() {
        let event = authorizer(PayloadFormat::V2);
        let expected = json!({
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": ARN,
            "identitySource": ["token", "7"],
        });
        assert_eq!(authorizer_fields(&event), expected);
        let read: aws_lambda_events::event::apigw::ApiGatewayV2CustomAuthorizerV2Request =
            serde_json::from_value(event).unwrap();
        assert_eq!(read.route_arn.as_deref(), Some(ARN));
        assert_eq!(read.identity_source, Some(vec!["token".into(), "7".into()]));
    }

    #[test]
    fn a_1_0_authorizer_event_names_the_method_and_joins_its_identity_sources() {
        let event = authorizer(PayloadFormat::V1);
        let expected = json!({
            "version": "1.0",
            "type": "REQUEST",
            "methodArn": ARN,
            "identitySource": "token,7",
            "authorizationToken": "token,7",
        });
        assert_eq!(authorizer_fields(&event), expected);
        assert_eq!(event["resource"], "/pets/{id}");
    }

    #[test]
    fn a_rest_authorizer_event_has_the_method_arn_and_no_body() {
        let mut ctx = api_request();
        ctx.body = Bytes::from_static(b"secret body");
        let id = [("id".to_string(), "7".to_string())];
        let format = Format::Rest {
            resource: "/pets/{id}",
            binary: false,
        };
        let event = rest_authorizer_event(&ctx, &api_target(format, &id), ACCOUNT, ARN);
        let event: Value = serde_json::from_slice(&event).unwrap();
        assert_eq!(event["type"], "REQUEST");
        assert_eq!(event["methodArn"], ARN);
        assert_eq!(event["pathParameters"], json!({"id": "7"}));
        assert!(event.get("body").is_none(), "{event}");
        assert!(event.get("isBase64Encoded").is_none(), "{event}");
        let read: aws_lambda_events::event::apigw::ApiGatewayCustomAuthorizerRequestTypeRequest =
            serde_json::from_value(event).unwrap();
        assert_eq!(read.method_arn.as_deref(), Some(ARN));
    }
}
