//! Golden tests for `runtime: web`: the events Portico makes, turned into the request a web
//! app gets, and the app's answers into results the doors read back.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use portico_events::http_v2::{Endpoint, RequestInfo};
use portico_events::web::{self, AppRequest, Invocation, Shape};
use portico_events::{http_v1, http_v2, response};
use serde_json::{Value, json};

static NO_VARIABLES: BTreeMap<String, String> = BTreeMap::new();

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        map.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    map
}

fn info<'a>(
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
) -> RequestInfo<'a> {
    RequestInfo {
        method,
        path,
        query,
        headers,
        header_names: &[],
        added_headers: &[],
        protocol: "HTTP/1.1",
        source_ip: "127.0.0.1",
        body,
        request_id: "id-1",
        time: UNIX_EPOCH + Duration::from_millis(1_583_348_638_390),
    }
}

fn endpoint(stage: &'static str) -> Endpoint<'static> {
    Endpoint {
        account_id: "000000000000",
        api_id: "app",
        domain_name: "app.lambda-url.localhost",
        domain_prefix: "app",
        route_key: "$default",
        stage,
        path_parameters: &[],
        stage_variables: &NO_VARIABLES,
        authorizer: None,
    }
}

/// The request's headers without the request context, as `(name, value)` text.
fn plain_headers(request: &AppRequest) -> Vec<(String, String)> {
    request
        .headers
        .iter()
        .filter(|(n, _)| n != web::REQUEST_CONTEXT)
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
        .collect()
}

fn context(request: &AppRequest) -> Value {
    let (_, value) = request
        .headers
        .iter()
        .find(|(n, _)| n == web::REQUEST_CONTEXT)
        .expect("the request context header");
    serde_json::from_slice(value.as_bytes()).unwrap()
}

#[test]
fn a_function_url_post_becomes_the_request_the_app_gets() {
    let map = headers(&[
        ("host", "app.lambda-url.localhost:3000"),
        ("content-type", "application/json"),
        ("cookie", "a=1; b=2"),
        ("x-multi", "one"),
        ("x-multi", "two"),
        ("content-length", "11"),
    ]);
    let event = http_v2::event(
        &info(
            "POST",
            "/items/7",
            "q=a%20b&q=c",
            &map,
            r#"{"n": "é"}"#.as_bytes(),
        ),
        &endpoint("$default"),
    );
    let request = web::request(&event);
    assert_eq!(request.method, Method::POST);
    assert_eq!(request.target, "/items/7?q=a%20b&q=c");
    assert_eq!(request.shape, Shape::V2);
    assert_eq!(request.body, r#"{"n": "é"}"#.as_bytes());
    assert_eq!(
        plain_headers(&request),
        [
            ("content-type".into(), "application/json".into()),
            ("host".into(), "app.lambda-url.localhost:3000".into()),
            ("x-multi".into(), "one,two".into()),
            ("cookie".into(), "a=1; b=2".into()),
        ]
    );
    let ctx = context(&request);
    assert_eq!(ctx["http"]["method"], "POST");
    assert_eq!(ctx["requestId"], "id-1");
}

#[test]
fn a_binary_body_reaches_the_app_as_its_bytes() {
    let map = headers(&[("content-type", "image/png")]);
    let bytes = [0x89, b'P', b'N', b'G', 0, 0xff];
    let event = http_v2::event(&info("PUT", "/", "", &map, &bytes), &endpoint("$default"));
    let request = web::request(&event);
    assert_eq!(request.body, bytes);
    assert_eq!(request.target, "/");
}

#[test]
fn a_rest_event_becomes_the_request_the_app_gets() {
    let map = headers(&[("x-multi", "one"), ("x-multi", "two"), ("accept", "*/*")]);
    let event = http_v1::event(
        &info("GET", "/pets/a b", "a=1&a=2&b=x%20y", &map, b""),
        &endpoint("prod"),
        "/pets/{id}",
        http_v1::Flavor::Rest { binary: false },
    );
    let request = web::request(&event);
    assert_eq!(request.shape, Shape::V1);
    assert_eq!(request.method, Method::GET);
    assert_eq!(request.target, "/pets/a%20b?a=1&a=2&b=x+y");
    assert_eq!(
        plain_headers(&request),
        [
            ("accept".into(), "*/*".into()),
            ("x-multi".into(), "one".into()),
            ("x-multi".into(), "two".into()),
        ]
    );
    assert!(request.body.is_empty());
    assert_eq!(context(&request)["stage"], "prod");
}

#[test]
fn an_http_api_1_0_event_keeps_its_stage_in_the_path() {
    let map = headers(&[]);
    let event = http_v1::event(
        &info("DELETE", "/prod/items/7", "", &map, b"gone"),
        &endpoint("prod"),
        "/items/{id}",
        http_v1::Flavor::HttpApi,
    );
    let request = web::request(&event);
    assert_eq!(request.method, Method::DELETE);
    assert_eq!(request.target, "/prod/items/7");
    assert_eq!(request.body, b"gone");
}

#[test]
fn any_other_payload_is_passed_through() {
    for payload in [&br#"{"Records": []}"#[..], b"[1, 2]", b"not json"] {
        let request = web::request(payload);
        assert_eq!(request.shape, Shape::PassThrough);
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.target, web::PASS_THROUGH_PATH);
        assert_eq!(request.body, payload);
        assert_eq!(
            plain_headers(&request),
            [("content-type".into(), "application/json".into())]
        );
    }
    let answer = web::result(
        Shape::PassThrough,
        StatusCode::OK,
        &headers(&[]),
        b"{\"ok\":1}",
    );
    assert_eq!(answer, b"{\"ok\":1}");
}

#[test]
fn a_text_answer_becomes_the_2_0_result() {
    let answer = headers(&[
        ("content-type", "text/html; charset=utf-8"),
        ("x-multi", "one"),
        ("x-multi", "two"),
        ("set-cookie", "a=1; Path=/"),
        ("set-cookie", "b=2"),
        ("content-length", "5"),
        ("connection", "keep-alive"),
    ]);
    let result = web::result(Shape::V2, StatusCode::CREATED, &answer, "héllo".as_bytes());
    let json: Value = serde_json::from_slice(&result).unwrap();
    assert_eq!(
        json,
        json!({
            "statusCode": 201,
            "headers": {"content-type": "text/html; charset=utf-8", "x-multi": "one,two"},
            "cookies": ["a=1; Path=/", "b=2"],
            "body": "héllo",
            "isBase64Encoded": false,
        })
    );
    // The door reads it back as the app answered.
    let read = response::from_payload(&result).unwrap();
    assert_eq!(read.status, StatusCode::CREATED);
    assert_eq!(read.body, "héllo".as_bytes());
    assert_eq!(read.cookies.len(), 2);
}

#[test]
fn a_binary_answer_is_base64() {
    let bytes = [0u8, 1, 2, 0xff];
    for (content_type, encoding) in [("image/png", None), ("application/json", Some("gzip"))] {
        let mut answer = headers(&[("content-type", content_type)]);
        if let Some(encoding) = encoding {
            answer.insert("content-encoding", HeaderValue::from_static(encoding));
        }
        let result = web::result(Shape::V2, StatusCode::OK, &answer, &bytes);
        let json: Value = serde_json::from_slice(&result).unwrap();
        assert_eq!(json["isBase64Encoded"], true);
        assert_eq!(json["body"], "AAEC/w==");
        assert_eq!(response::from_payload(&result).unwrap().body, bytes[..]);
    }
    // Text that is not UTF-8 cannot be a JSON string either.
    let answer = headers(&[("content-type", "text/plain")]);
    let json: Value =
        serde_json::from_slice(&web::result(Shape::V2, StatusCode::OK, &answer, &[0xff])).unwrap();
    assert_eq!(json["isBase64Encoded"], true);
}

#[test]
fn an_answer_becomes_the_1_0_result() {
    let answer = headers(&[
        ("content-type", "application/json"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
    ]);
    let result = web::result(Shape::V1, StatusCode::NOT_FOUND, &answer, b"{}");
    let json: Value = serde_json::from_slice(&result).unwrap();
    assert_eq!(
        json,
        json!({
            "statusCode": 404,
            "multiValueHeaders": {"content-type": ["application/json"], "set-cookie": ["a=1", "b=2"]},
            "body": "{}",
            "isBase64Encoded": false,
        })
    );
    let read = http_v1::from_payload(&result).unwrap();
    assert_eq!(read.status, StatusCode::NOT_FOUND);
    let cookies: Vec<_> = read
        .headers
        .iter()
        .filter(|(n, _)| n == http::header::SET_COOKIE)
        .collect();
    assert_eq!(cookies.len(), 2);
    // An empty answer has an empty body.
    let empty = web::result(Shape::V1, StatusCode::NO_CONTENT, &HeaderMap::new(), b"");
    let json: Value = serde_json::from_slice(&empty).unwrap();
    assert_eq!(json["body"], "");
    assert_eq!(json["isBase64Encoded"], false);
}

#[test]
fn a_streamed_answer_starts_with_the_prelude() {
    let answer = headers(&[
        ("content-type", "text/event-stream"),
        ("set-cookie", "s=1"),
        ("transfer-encoding", "chunked"),
    ]);
    let prelude = web::prelude(StatusCode::ACCEPTED, &answer);
    let (json, separator) = prelude.split_at(prelude.len() - 8);
    assert_eq!(separator, response::PRELUDE_SEPARATOR);
    assert_eq!(
        serde_json::from_slice::<Value>(json).unwrap(),
        json!({
            "statusCode": 202,
            "headers": {"content-type": "text/event-stream"},
            "cookies": ["s=1"],
        })
    );
    let head = response::from_prelude(json).unwrap();
    assert_eq!(head.status, StatusCode::ACCEPTED);
}

#[test]
fn the_lambda_context_names_the_invocation() {
    let header = web::lambda_context(&Invocation {
        request_id: "id-1",
        deadline_ms: 1_700_000_000_000,
        invoked_function_arn: "arn:aws:lambda:us-east-1:000000000000:function:app",
        trace_id: "Root=1-5f35ae12-0c0fec141ab77a00bc047aa2",
        function_name: "app",
        memory_mb: 128,
    });
    let json: Value = serde_json::from_str(&header).unwrap();
    assert_eq!(json["request_id"], "id-1");
    assert_eq!(json["deadline"], 1_700_000_000_000u64);
    assert_eq!(json["env_config"]["function_name"], "app");
}
