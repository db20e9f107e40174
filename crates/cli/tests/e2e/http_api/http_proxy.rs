//! HTTP proxy routes: requests forwarded and streamed both ways, https upstreams, the upload
//! limit.

use serde_json::{Value, json};

use super::{Cas, get};
use crate::harness::{Setup, Upstream};

#[tokio::test]
async fn http_proxy_routes_forward_and_stream_both_ways() {
    let upstream = Upstream::start(None);
    let p = Setup::new()
        .config("limits: unbounded")
        .http_api(
            "shop",
            r#"
routes:
  ANY /legacy/{proxy+}: {http: "http://@upstream/echo/{proxy}"}
  GET /big: {http: "http://@upstream/big"}
  POST /count: {http: "http://@upstream/count"}
  GET /down: {http: "http://127.0.0.1:1/nothing"}
"#,
        )
        .replace("@upstream", &upstream.addr())
        .serve();
    let base = format!("{}/execute-api/shop", p.endpoint());
    let echoed = p
        .client()
        .put(format!("{base}/legacy/a/b?x=1&t=%7E&flag"))
        .header("x-test", "kept")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.status(), 200);
    assert_eq!(echoed.headers()["x-upstream"], "yes");
    assert!(echoed.headers().contains_key("apigw-requestid"));
    let seen: Value = echoed.json().await.unwrap();
    assert_eq!(seen["method"], "PUT");
    assert_eq!(seen["path"], "/echo/a/b");
    // Passed on byte for byte: no re-encoding of what the client sent.
    assert_eq!(seen["query"], "x=1&t=%7E&flag");
    assert_eq!(seen["headers"]["x-test"], "kept");
    assert_eq!(seen["headers"]["x-forwarded-for"], "127.0.0.1");
    assert_eq!(
        seen["headers"]["host"],
        format!("127.0.0.1:{}", upstream.port)
    );
    assert_eq!(seen["body_bytes"], 5);

    // 256 MiB down and 256 MiB up go through without Portico holding them.
    const MIB: u64 = 1024 * 1024;
    let mut download = p
        .client()
        .get(format!("{base}/big?mb=256"))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    let mut received = 0u64;
    while let Some(chunk) = download.chunk().await.unwrap() {
        received += chunk.len() as u64;
    }
    assert_eq!(received, 256 * MIB);
    let upload = p
        .client()
        .post(format!("{base}/count"))
        .body(vec![b'u'; 256 * MIB as usize])
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 201);
    assert_eq!(
        upload.json::<Value>().await.unwrap(),
        json!({"bytes": 256 * MIB})
    );
    let peak_mib = p.peak_memory_kb() / 1024;
    assert!(
        peak_mib < 64,
        "portico peaked at {peak_mib} MiB while streaming 256 MiB each way"
    );

    let (status, _, body) = get(&p, &format!("{base}/down")).await;
    assert_eq!(
        (status, body),
        (500, json!({"message": "Internal Server Error"}))
    );
}

#[tokio::test]
async fn http_proxy_routes_reach_https_upstreams_portico_trusts() {
    let cas = Cas::new();
    let secure = Upstream::start(Some(cas.trusted.path()));
    let stranger = Upstream::start(Some(cas.untrusted.path()));
    let p = Setup::new()
        .http_api(
            "shop",
            r#"
routes:
  GET /secure/{proxy+}: {http: "https://@secure/echo/{proxy}"}
  GET /stranger: {http: "https://@stranger/echo"}
"#,
        )
        .replace("@secure", &secure.addr())
        .replace("@stranger", &stranger.addr())
        .env("SSL_CERT_FILE", &cas.trusted_file())
        .serve();
    let base = format!("{}/execute-api/shop", p.endpoint());
    let (status, _, seen) = get(&p, &format!("{base}/secure/a/b?q=1")).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["path"], "/echo/a/b");
    assert_eq!(seen["query"], "q=1");
    assert_eq!(
        seen["headers"]["host"],
        format!("127.0.0.1:{}", secure.port)
    );
    // A certificate from a CA nobody trusts is an integration failure, as on AWS.
    let (status, _, body) = get(&p, &format!("{base}/stranger")).await;
    assert_eq!(
        (status, body),
        (500, json!({"message": "Internal Server Error"}))
    );
    // The log says why.
    let why = p.wait_for_log("GET /stranger 500");
    assert!(
        why.contains("invalid peer certificate: UnknownIssuer"),
        "{why}"
    );
}

#[tokio::test]
async fn an_upload_over_the_aws_limit_is_refused_on_the_way() {
    let upstream = Upstream::start(None);
    let p = Setup::new()
        .http_api(
            "shop",
            r#"routes: {POST /count: {http: "http://@upstream/count"}}"#,
        )
        .replace("@upstream", &upstream.addr())
        .serve();
    let url = format!("{}/execute-api/shop/count", p.endpoint());
    let small = p
        .client()
        .post(&url)
        .body(vec![b'u'; 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), 201);
    let large = p
        .client()
        .post(&url)
        .body(vec![b'u'; 11 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(large.status(), 413);
    assert_eq!(
        large.json::<Value>().await.unwrap(),
        json!({"message": "Request Entity Too Large"})
    );
}
