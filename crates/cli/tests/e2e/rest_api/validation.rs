//! Request validators: required parameters and bodies matching their models.

use serde_json::{Value, json};

use crate::harness::{Setup, Upstream};

#[tokio::test]
async fn request_validators_check_parameters_and_bodies() {
    let upstream = Upstream::start(None);
    // AWS's request validation example, its HTTP backend on the upstream.
    let p = Setup::new()
        .rest_api(
            "validated",
            r#"
stages: {dev: {}}
api_keys: {tester: {value: tester-0123456789abcdef}}
usage_plans: {basic: {keys: [tester]}}
"#,
        )
        .openapi("crates/config/tests/openapi/request_validation.json")
        .replace(
            "http://petstore-demo-endpoint.execute-api.com",
            &upstream.url(),
        )
        .serve();
    let url = format!("{}/execute-api/validated/dev/validation", p.endpoint());
    let send = |request: reqwest::RequestBuilder| async move {
        let response = request
            .header("x-api-key", "tester-0123456789abcdef")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.unwrap())
    };
    // GET: the query parameter q1 is required ("params-only", the document's default).
    assert_eq!(
        send(p.client().get(&url)).await,
        (
            400,
            json!({"message": "Missing required request parameters: [q1]"})
        )
    );
    let (status, pets) = send(p.client().get(format!("{url}?q1=cat"))).await;
    assert_eq!(
        (status, pets),
        (200, json!([{"id": 2, "type": "cat", "price": 124.99}]))
    );
    // POST ("all"): header h1, and a body matching RequestBodyModel.
    let good = r#"{"name": "Fluffy", "type": "cat", "price": 50}"#;
    let post = |h1: Option<&str>, body: &str| {
        let mut request = p
            .client()
            .post(&url)
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(h1) = h1 {
            request = request.header("h1", h1);
        }
        request
    };
    assert_eq!(
        send(post(None, good)).await,
        (
            400,
            json!({"message": "Missing required request parameters: [h1]"})
        )
    );
    let invalid = json!({"message": "Invalid request body"});
    for bad in [
        r#"{"name": "Fluffy", "type": "cat", "price": 15}"#,
        r#"{"name": "Fluffy", "type": "lion", "price": 50}"#,
        r#"{"type": "cat", "price": 50}"#,
        r#"{"name": "Fluffy", "type": "cat", "#,
    ] {
        assert_eq!(
            send(post(Some("v"), bad)).await,
            (400, invalid.clone()),
            "{bad}"
        );
    }
    let (status, created) = send(post(Some("v"), good)).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["message"], "success");
}

#[tokio::test]
async fn a_default_model_checks_bodies_of_every_content_type() {
    let p = Setup::new()
        .python("echo", "app.echo_proxy")
        .rest_api("orders", "stages: {dev: {}}")
        .openapi("fixtures/openapi/default-model.yaml")
        .serve();
    let url = format!("{}/execute-api/orders/dev/orders", p.endpoint());
    let post = |content_type: &'static str, body: &'static str| {
        let request = p
            .client()
            .post(&url)
            .header("content-type", content_type)
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let invalid = (400, json!({"message": "Invalid request body"}));
    for content_type in ["application/json", "text/plain"] {
        assert_eq!(
            post(content_type, r#"{"qty": 1}"#).await,
            invalid,
            "{content_type}"
        );
        let (status, event) = post(content_type, r#"{"item": "tea"}"#).await;
        assert_eq!(status, 200, "{content_type}: {event}");
        assert_eq!(event["body"], r#"{"item": "tea"}"#);
    }
}
