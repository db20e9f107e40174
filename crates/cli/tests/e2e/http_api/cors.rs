//! CORS: preflights answered by the API, and CORS headers on answers and errors.

use crate::harness::Setup;

#[tokio::test]
async fn cors_preflights_are_answered_by_the_api() {
    let p = Setup::new()
        .python("echo", "app.echo")
        .http_api(
            "shop",
            r#"
cors: {allow_origins: ["https://app.example"], allow_methods: [GET, POST], allow_headers: [authorization], max_age: 60}
routes:
  GET /items: {function: echo}
"#,
        )
        .serve();
    let url = format!("{}/execute-api/shop/items", p.endpoint());
    let preflight = p
        .client()
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204, "no OPTIONS route is needed");
    assert_eq!(
        preflight.headers()["access-control-allow-methods"],
        "GET,POST"
    );
    assert_eq!(
        preflight.headers()["access-control-allow-headers"],
        "authorization"
    );
    assert_eq!(preflight.headers()["access-control-max-age"], "60");
    assert!(preflight.headers().contains_key("apigw-requestid"));

    let get = p
        .client()
        .get(&url)
        .header("origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 200);
    assert_eq!(
        get.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let miss = p
        .client()
        .get(format!("{url}/nope"))
        .header("origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(miss.status(), 404);
    assert_eq!(
        miss.headers()["access-control-allow-origin"],
        "https://app.example",
        "errors carry CORS too"
    );
}
