//! Golden tests for the payload format 1.0 event and response rules.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue};
use portico_events::http_v1;
use portico_events::http_v2::{Endpoint, RequestInfo};
use portico_events::response::Malformed;
use serde_json::{Value, json};

#[test]
fn a_request_becomes_the_1_0_event() {
    let mut headers = HeaderMap::new();
    headers.append("x-multi", HeaderValue::from_static("one"));
    headers.append("x-multi", HeaderValue::from_static("two"));
    headers.append("user-agent", HeaderValue::from_static("curl/8"));
    let added = [("x-forwarded-proto", "http".to_string())];
    let request = RequestInfo {
        method: "GET",
        path: "/prod/items/7",
        query: "a=1&a=2",
        headers: &headers,
        header_names: &[],
        added_headers: &added,
        protocol: "HTTP/1.1",
        source_ip: "127.0.0.1",
        body: b"",
        request_id: "Mc7UVioPPHcEKPA=",
        time: UNIX_EPOCH + Duration::from_millis(1_583_348_638_390),
    };
    let variables = BTreeMap::from([("table".to_string(), "items".to_string())]);
    let params = [("id".to_string(), "7".to_string())];
    let endpoint = Endpoint {
        account_id: "000000000000",
        api_id: "shop",
        domain_name: "shop.execute-api.localhost",
        domain_prefix: "shop",
        route_key: "GET /items/{id}",
        stage: "prod",
        path_parameters: &params,
        stage_variables: &variables,
        authorizer: None,
    };
    let event: Value = serde_json::from_slice(&http_v1::event(
        &request,
        &endpoint,
        "/items/{id}",
        http_v1::Flavor::HttpApi,
    ))
    .unwrap();
    assert_eq!(event["version"], "1.0");
    assert_eq!(event["resource"], "/items/{id}");
    assert_eq!(event["path"], "/prod/items/7");
    assert_eq!(event["httpMethod"], "GET");
    assert_eq!(event["headers"]["x-multi"], "two");
    assert_eq!(event["multiValueHeaders"]["x-multi"], json!(["one", "two"]));
    assert_eq!(event["headers"]["x-forwarded-proto"], "http");
    assert_eq!(event["queryStringParameters"], json!({"a": "2"}));
    assert_eq!(
        event["multiValueQueryStringParameters"],
        json!({"a": ["1", "2"]})
    );
    assert_eq!(event["pathParameters"], json!({"id": "7"}));
    assert_eq!(event["stageVariables"], json!({"table": "items"}));
    assert_eq!(event["body"], Value::Null);
    assert_eq!(event["isBase64Encoded"], false);
    let ctx = &event["requestContext"];
    assert_eq!(ctx["resourcePath"], "/items/{id}");
    assert_eq!(ctx["stage"], "prod");
    assert_eq!(ctx["identity"]["sourceIp"], "127.0.0.1");
    assert_eq!(ctx["identity"]["userAgent"], "curl/8");
    assert_eq!(ctx["identity"]["accessKey"], Value::Null);
    assert_eq!(ctx["requestTimeEpoch"], 1_583_348_638_390u64);
    // Clients built on aws_lambda_events read it as an API Gateway proxy request.
    let parsed: aws_lambda_events::event::apigw::ApiGatewayProxyRequest =
        serde_json::from_value(event).unwrap();
    assert_eq!(parsed.path.as_deref(), Some("/prod/items/7"));
}

#[test]
fn a_rest_api_sends_its_own_flavor_of_the_1_0_event() {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());
    headers.insert("x-lower", "1".parse().unwrap());
    let spelt = ["Content-Type".to_string(), "Host".to_string()];
    let added = [("x-forwarded-for", "127.0.0.1".to_string())];
    let request = RequestInfo {
        method: "POST",
        path: "/pets/7",
        query: "",
        headers: &headers,
        header_names: &spelt,
        added_headers: &added,
        protocol: "HTTP/1.1",
        source_ip: "127.0.0.1",
        body: b"{}",
        request_id: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        time: UNIX_EPOCH,
    };
    let variables = BTreeMap::new();
    let endpoint = Endpoint {
        account_id: "000000000000",
        api_id: "petstore",
        domain_name: "petstore.execute-api.localhost",
        domain_prefix: "petstore",
        route_key: "POST /pets/{id}",
        stage: "prod",
        path_parameters: &[],
        stage_variables: &variables,
        authorizer: None,
    };
    let event: Value = serde_json::from_slice(&http_v1::event(
        &request,
        &endpoint,
        "/pets/{id}",
        http_v1::Flavor::Rest { binary: false },
    ))
    .unwrap();
    // No `version`; the path without the stage, the context's path with it.
    assert!(event.get("version").is_none(), "{event}");
    assert_eq!(event["path"], "/pets/7");
    assert_eq!(event["requestContext"]["path"], "/prod/pets/7");
    assert_eq!(event["requestContext"]["resourcePath"], "/pets/{id}");
    assert_eq!(event["requestContext"]["deploymentId"], "petstore");
    assert_eq!(event["body"], "{}");
    // Names as the client spelt them; the gateway's own as API Gateway spells them.
    assert_eq!(
        event["headers"],
        json!({"Content-Type": "application/json", "x-lower": "1", "X-Forwarded-For": "127.0.0.1"})
    );
    assert_eq!(
        event["multiValueHeaders"]["Content-Type"],
        json!(["application/json"])
    );
    let parsed: aws_lambda_events::event::apigw::ApiGatewayProxyRequest =
        serde_json::from_value(event).unwrap();
    assert_eq!(parsed.request_context.stage.as_deref(), Some("prod"));
}

#[test]
fn binary_media_types_match_with_wildcards() {
    let types = [
        "image/png".to_string(),
        "application~1octet-stream".to_string(),
    ];
    let binary = |ct: Option<&str>| http_v1::is_binary_media_type(ct, &types);
    assert!(binary(Some("image/png")));
    assert!(binary(Some("Image/PNG; q=1")));
    assert!(binary(Some("application/octet-stream")), "~1 is /");
    assert!(!binary(Some("image/jpeg")));
    assert!(!binary(None));
    let wild = ["image/*".to_string()];
    assert!(http_v1::is_binary_media_type(Some("image/jpeg"), &wild));
    assert!(!http_v1::is_binary_media_type(Some("text/plain"), &wild));
    let all = ["*/*".to_string()];
    assert!(http_v1::is_binary_media_type(Some("text/plain"), &all));
}

#[test]
fn results_are_read_by_the_1_0_rules() {
    let ok = |payload: &str| {
        let r = http_v1::from_payload(payload.as_bytes()).unwrap();
        let mut headers: Vec<(String, String)> = r
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
            .collect();
        headers.sort();
        (
            r.status.as_u16(),
            headers,
            String::from_utf8(r.body.to_vec()).unwrap(),
        )
    };
    let (status, headers, body) = ok(
        r#"{"statusCode": 201, "headers": {"x-a": "solo"}, "multiValueHeaders": {"x-a": ["m1", "m2"]}, "body": "hi", "extra": 1}"#,
    );
    assert_eq!((status, body.as_str()), (201, "hi"));
    assert_eq!(
        headers,
        [
            ("content-type".to_string(), "application/json".to_string()),
            ("x-a".into(), "m1".into()),
            ("x-a".into(), "m2".into()),
            ("x-a".into(), "solo".into()),
        ]
    );
    assert_eq!(
        ok(r#"{"statusCode": "200", "body": "aGk=", "isBase64Encoded": true}"#).2,
        "hi"
    );
    let refused: &[(&str, Malformed)] = &[
        (r#"{"body": "no status"}"#, Malformed::NoStatus),
        (r#""This is invalid""#, Malformed::NotAnObject("a string")),
        (r#"[1]"#, Malformed::NotAnObject("an array")),
        (r#"{"statusCode": true}"#, Malformed::Status("true".into())),
        ("not json", Malformed::NotJson),
        (
            r#"{"statusCode": 200, "multiValueHeaders": {"h": "v"}}"#,
            Malformed::Type("multiValueHeaders"),
        ),
        (
            r#"{"statusCode": 200, "body": {"a": 1}}"#,
            Malformed::Type("body"),
        ),
    ];
    assert_eq!(
        Malformed::NotAnObject("a string").to_string(),
        "statusCode missing: the answer is a string, not an object with a statusCode"
    );
    for (payload, expected) in refused {
        assert_eq!(
            http_v1::from_payload(payload.as_bytes()).unwrap_err(),
            *expected,
            "{payload}"
        );
    }
}
