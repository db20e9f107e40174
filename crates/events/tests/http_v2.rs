//! Golden tests for the 2.0 event and the 2.0 response rules.

use std::time::{Duration, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue};
use portico_events::http_v2::{self, Endpoint, RequestInfo};
use portico_events::response::{self, Malformed};
use serde_json::{Value, json};

static NO_VARIABLES: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();

fn endpoint() -> Endpoint<'static> {
    Endpoint {
        path_parameters: &[],
        stage_variables: &NO_VARIABLES,
        authorizer: None,
        account_id: "000000000000",
        api_id: "hello",
        domain_name: "hello.lambda-url.localhost",
        domain_prefix: "hello",
        route_key: "$default",
        stage: "$default",
    }
}

fn event(method: &str, path: &str, query: &str, headers: &[(&str, &str)], body: &[u8]) -> Value {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    let added = [("x-forwarded-proto", "http".to_string())];
    let info = RequestInfo {
        method,
        path,
        query,
        headers: &map,
        header_names: &[],
        added_headers: &added,
        protocol: "HTTP/1.1",
        source_ip: "127.0.0.1",
        body,
        request_id: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        time: UNIX_EPOCH + Duration::from_millis(1_583_348_638_390),
    };
    serde_json::from_slice(&http_v2::event(&info, &endpoint())).unwrap()
}

#[test]
fn a_get_becomes_the_documented_event() {
    let got = event(
        "GET",
        "/my/path",
        "a=1&a=2&b=x%20y",
        &[
            ("user-agent", "curl/8.0"),
            ("Cookie", "c1=v1; c2=v2"),
            ("x-multi", "one"),
            ("x-multi", "two"),
        ],
        b"",
    );
    let expected = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/my/path",
        "rawQueryString": "a=1&a=2&b=x%20y",
        "cookies": ["c1=v1", "c2=v2"],
        "headers": {"user-agent": "curl/8.0", "x-multi": "one,two", "x-forwarded-proto": "http"},
        "queryStringParameters": {"a": "1,2", "b": "x y"},
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "hello",
            "domainName": "hello.lambda-url.localhost",
            "domainPrefix": "hello",
            "http": {"method": "GET", "path": "/my/path", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "curl/8.0"},
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "routeKey": "$default",
            "stage": "$default",
            "time": "04/Mar/2020:19:03:58 +0000",
            "timeEpoch": 1583348638390u64
        },
        "isBase64Encoded": false
    });
    assert_eq!(got, expected);
}

#[test]
fn bodies_are_text_or_base64_by_content_type() {
    // content type, body, the event's `body` (None: absent), isBase64Encoded
    type Row<'a> = (Option<&'a str>, &'a [u8], Option<&'a str>, bool);
    let rows: &[Row] = &[
        (
            Some("application/json"),
            b"{\"a\":1}",
            Some("{\"a\":1}"),
            false,
        ),
        (Some("text/plain; charset=utf-8"), b"hi", Some("hi"), false),
        (Some("application/vnd.api+json"), b"{}", Some("{}"), false),
        (Some("application/octet-stream"), b"hi", Some("aGk="), true),
        (Some("image/png"), &[0x89, 0x50], Some("iVA="), true),
        (None, b"plain", Some("plain"), false),
        (None, &[0xff, 0xfe], Some("//4="), true),
        (Some("application/json"), b"", None, false),
    ];
    for (ct, body, expected_body, b64) in rows {
        let headers: Vec<(&str, &str)> = ct.iter().map(|c| ("content-type", *c)).collect();
        let got = event("POST", "/", "", &headers, body);
        assert_eq!(
            got.get("body").and_then(Value::as_str),
            *expected_body,
            "{ct:?}"
        );
        assert_eq!(got["isBase64Encoded"], json!(b64), "{ct:?}");
    }
}

#[test]
fn clients_built_on_aws_lambda_events_read_the_event() {
    let got = event(
        "POST",
        "/p",
        "q=1",
        &[("content-type", "application/json")],
        b"{}",
    );
    let url: aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest =
        serde_json::from_value(got.clone()).unwrap();
    assert_eq!(url.raw_path.as_deref(), Some("/p"));
    assert_eq!(url.request_context.http.method.as_deref(), Some("POST"));
    let v2: aws_lambda_events::event::apigw::ApiGatewayV2httpRequest =
        serde_json::from_value(got).unwrap();
    assert_eq!(v2.route_key.as_deref(), Some("$default"));
    assert_eq!(v2.body.as_deref(), Some("{}"));
}

/// Status, headers, cookies and body of a function's answer.
type Answer = (u16, Vec<(String, String)>, Vec<String>, String);

fn respond(payload: &str) -> Result<Answer, Malformed> {
    let r = response::from_payload(payload.as_bytes())?;
    Ok((
        r.status.as_u16(),
        r.headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
            .collect(),
        r.cookies
            .iter()
            .map(|c| c.to_str().unwrap().to_string())
            .collect(),
        String::from_utf8(r.body.to_vec()).unwrap(),
    ))
}

#[test]
fn responses_are_read_as_aws_reads_them() {
    let json_ct = || vec![("content-type".to_string(), "application/json".to_string())];
    // What AWS answered for each function result (recorded Function URL behaviour).
    let rows: &[(&str, u16, &str)] = &[
        (r#"{"hello": "world"}"#, 200, r#"{"hello":"world"}"#),
        (r#"{"statusCode": 200, "body": "body123"}"#, 200, "body123"),
        (r#"["hello", 3, true]"#, 200, r#"["hello",3,true]"#),
        (r#""hello""#, 200, "hello"),
        ("3.1", 200, "3.1"),
        ("true", 200, "true"),
        ("null", 200, "null"),
        (
            r#"{"statusCode": "418", "body": "i'm a teapot"}"#,
            418,
            "i'm a teapot",
        ),
        (
            r#"{"statusCode": 200, "body": "aGk=", "isBase64Encoded": true}"#,
            200,
            "hi",
        ),
    ];
    for (payload, status, body) in rows {
        let (s, headers, _, b) = respond(payload).unwrap();
        assert_eq!((s, b.as_str()), (*status, *body), "{payload}");
        assert_eq!(headers, json_ct(), "{payload}");
    }
    let (_, mut headers, cookies, _) = respond(
        r#"{"statusCode": 201, "headers": {"My-Custom-Header": "v", "x-n": 5, "content-type": "text/html"}, "cookies": ["a=1", "b=2; Path=/"]}"#,
    )
    .unwrap();
    headers.sort();
    assert_eq!(
        headers,
        vec![
            ("content-type".into(), "text/html".into()),
            ("my-custom-header".into(), "v".into()),
            ("x-n".into(), "5".into()),
        ]
    );
    assert_eq!(cookies, vec!["a=1".to_string(), "b=2; Path=/".to_string()]);
}

#[test]
fn malformed_responses_are_refused() {
    let rows: &[(&str, Malformed)] = &[
        ("not json", Malformed::NotJson),
        (
            r#"{"statusCode": "test"}"#,
            Malformed::Status("test".into()),
        ),
        (r#"{"statusCode": 99}"#, Malformed::Status("99".into())),
        (
            r#"{"statusCode": 200, "body": {"a": 1}}"#,
            Malformed::Type("body"),
        ),
        (
            r#"{"statusCode": 200, "headers": {"x": [1]}}"#,
            Malformed::Header("x".into()),
        ),
        (
            r#"{"statusCode": 200, "headers": {"bad name": "v"}}"#,
            Malformed::Header("bad name".into()),
        ),
        (
            r#"{"statusCode": 200, "body": "%%%", "isBase64Encoded": true}"#,
            Malformed::Base64,
        ),
    ];
    for (payload, expected) in rows {
        assert_eq!(respond(payload).unwrap_err(), *expected, "{payload}");
    }
}

#[test]
fn streaming_preludes_give_status_headers_and_cookies() {
    let head =
        response::from_prelude(br#"{"statusCode":201,"headers":{"x-a":"1"},"cookies":["c=1"]}"#)
            .unwrap();
    assert_eq!(head.status.as_u16(), 201);
    assert_eq!(head.headers[0].0, "x-a");
    assert_eq!(head.headers[1].1, "application/octet-stream");
    assert_eq!(head.cookies.len(), 1);
    assert_eq!(
        response::from_prelude(b"[1]").unwrap_err(),
        Malformed::Prelude
    );
}
