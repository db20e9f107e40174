//! AWS_IAM: SigV4 signatures from botocore and awscurl, on function and HTTP proxy routes.

use serde_json::{Value, json};

use crate::harness::{Setup, Upstream, awscurl};

#[tokio::test]
async fn aws_iam_takes_botocore_signatures_and_refuses_tampered_ones() {
    let p = Setup::new()
        .config(r#"credentials: {AKIDPORTICOTEST: {secret: "${env:PORTICO_TEST_SECRET}"}}"#)
        .function(
            "private",
            r#"{runtime: python3.12, handler: app.echo, code: "@fixtures/python", url: {auth: aws_iam}}"#,
        )
        .python("echo", "app.echo")
        .http_api("shop", "routes: {POST /signed: {function: echo, auth: aws_iam}}")
        .env("PORTICO_TEST_SECRET", "portico-test-secret")
        .serve();
    let got = p.python(
        "sigv4.py",
        &["/lambda-url/private/x", "/execute-api/shop/signed"],
    );
    let status = |name: &str| {
        got[name][0]
            .as_u64()
            .unwrap_or_else(|| panic!("{name}: {got}"))
    };
    assert_eq!(status("signed"), 200, "{got}");
    let event: Value = serde_json::from_str(got["signed"][1].as_str().unwrap()).unwrap();
    let iam = &event["requestContext"]["authorizer"]["iam"];
    assert_eq!(iam["accessKey"], "AKIDPORTICOTEST");
    assert_eq!(iam["accountId"], "000000000000");
    assert_eq!(event["body"], "hello");
    assert_eq!(status("presigned"), 200, "{got}");
    for tampered in [
        "method",
        "path",
        "query",
        "header",
        "body",
        "date",
        "unsigned",
        "wrong_secret",
        "unknown_key",
        "wrong_service",
    ] {
        assert_eq!(status(tampered), 403, "{tampered}: {got}");
    }
    // AWS's body says no more; Portico's log says what is wrong and how to sign.
    assert_eq!(got["unsigned"][1], r#"{"Message":"Forbidden"}"#);
    assert!(
        p.logs()
            .contains("this Function URL takes AWS_IAM auth and the request is not signed"),
        "{}",
        p.logs()
    );
    assert_eq!(status("api_signed"), 200, "{got}");
    assert_eq!(
        got["api_unsigned"],
        json!([403, r#"{"message":"Forbidden"}"#])
    );

    // awscurl (PyPI) signs on its own; its requests are accepted too, and a wrong secret is not.
    let awscurl = |secret: &str| awscurl(&p, "shop/signed", secret);
    let accepted = awscurl("portico-test-secret");
    let body = String::from_utf8_lossy(&accepted.stdout);
    assert!(
        accepted.status.success(),
        "{body}{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["body"], r#"{"via": "awscurl"}"#);
    let refused = awscurl("wrong-secret");
    assert!(
        String::from_utf8_lossy(&refused.stdout).contains("Forbidden"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn aws_iam_guards_http_proxy_routes() {
    let upstream = Upstream::start(None);
    let p = Setup::new()
        .config(r#"credentials: {AKIDPORTICOTEST: {secret: "${env:PORTICO_TEST_SECRET}"}}"#)
        .http_api(
            "shop",
            r#"routes: {POST /proxied: {http: "http://@upstream/echo", auth: aws_iam}}"#,
        )
        .replace("@upstream", &upstream.addr())
        .env("PORTICO_TEST_SECRET", "portico-test-secret")
        .serve();
    let accepted = awscurl(&p, "shop/proxied", "portico-test-secret");
    let seen: Value =
        serde_json::from_slice(&accepted.stdout).unwrap_or_else(|e| panic!("{e}: {accepted:?}"));
    assert_eq!(seen["path"], "/echo");
    assert_eq!(seen["body_bytes"], r#"{"via": "awscurl"}"#.len());

    let refused = awscurl(&p, "shop/proxied", "wrong-secret");
    assert_eq!(
        String::from_utf8_lossy(&refused.stdout),
        r#"{"message":"Forbidden"}"#,
        "{refused:?}"
    );
    let unsigned = p
        .client()
        .post(format!("{}/execute-api/shop/proxied", p.endpoint()))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 403);
}
