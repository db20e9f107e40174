//! Non-proxy integrations: mapping templates, content handling, overrides through
//! `$context`, and a template that never finishes.

use serde_json::{Value, json};

use crate::harness::{Setup, Upstream};

#[tokio::test]
async fn lambda_non_proxy_methods_map_with_templates() {
    let p = Setup::new()
        .node("Calc", "calc.handler")
        .node("job", "calc.job")
        .rest_api("calc", "stages: {dev: {}}")
        .openapi("fixtures/openapi/calc-non-proxy.yaml")
        .serve();
    let base = format!("{}/execute-api/calc/dev", p.endpoint());
    let calc = |query: &'static str| {
        let request = p.client().get(format!("{base}/calc?{query}"));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let operator = response
                .headers()
                .get("operator")
                .map(|v| v.to_str().unwrap().to_string());
            (status, operator, response.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(
        calc("operand1=3&operand2=4&operator=add").await,
        (
            200,
            Some("add".to_string()),
            json!({"result": "3 add 4 = 7"})
        )
    );
    // A function error picks the integration response by its errorMessage.
    assert_eq!(
        calc("operand1=3&operand2=0&operator=div").await,
        (400, None, json!({"error": "400 Divide by Zero"}))
    );
    assert_eq!(
        calc("operand1=x&operand2=0&operator=add").await,
        (400, None, json!({"error": "400 Invalid Operand"}))
    );
    // passthroughBehavior never: another content type is refused.
    let refused = p
        .client()
        .get(format!("{base}/calc"))
        .header("content-type", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 415);
    assert_eq!(
        refused.json::<Value>().await.unwrap(),
        json!({"message": "Unsupported Media Type"})
    );

    // X-Amz-Invocation-Type 'Event': answered at once, the function runs after.
    let accepted = p
        .client()
        .post(format!("{base}/jobs"))
        .header("content-type", "application/json")
        .body(r#"{"job": 42}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 202);
    p.wait_for_log(r#"job ran with {"job":42}"#);
}

#[tokio::test]
async fn content_handling_converts_a_base64_answer_to_bytes() {
    let p = Setup::new()
        .python("png", "app.png_base64")
        .rest_api("images", "stages: {dev: {}}")
        .openapi("fixtures/openapi/convert-to-binary.yaml")
        .serve();
    let logo = p
        .client()
        .get(format!("{}/execute-api/images/dev/logo", p.endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(logo.status(), 200);
    assert_eq!(logo.headers()["content-type"], "image/png");
    assert_eq!(logo.bytes().await.unwrap().as_ref(), b"\x89PNG\r\n\x1a\n");
}

#[tokio::test]
async fn templates_override_requests_and_responses_through_context() {
    let upstream = Upstream::start(None);
    let p = Setup::new()
        .rest_api("overrides", "stages: {dev: {}}")
        .openapi("fixtures/openapi/context-overrides.yaml")
        .replace(
            "http://petstore-demo-endpoint.execute-api.com",
            &upstream.url(),
        )
        .serve();
    let base = format!("{}/execute-api/overrides/dev", p.endpoint());
    let teapot = p
        .client()
        .get(format!("{base}/teapot"))
        .send()
        .await
        .unwrap();
    assert_eq!(teapot.status(), 418);
    assert_eq!(teapot.headers()["x-teapot"], "short and stout");
    assert_eq!(
        teapot.json::<Value>().await.unwrap(),
        json!({"brewing": false})
    );
    let dogs: Value = p
        .client()
        .get(format!("{base}/dogs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dogs, json!([{"id": 1, "type": "dog", "price": 249.99}]));
}

#[tokio::test]
async fn a_runaway_template_is_cut_off_with_a_500() {
    let p = Setup::new()
        .rest_api("runaway", "stages: {dev: {}}")
        .openapi("fixtures/openapi/runaway-templates.yaml")
        .serve();
    let base = format!("{}/execute-api/runaway/dev", p.endpoint());
    for path in ["/doubling", "/spinning"] {
        let answer = p
            .client()
            .get(format!("{base}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 500, "{path}");
        assert_eq!(
            answer.json::<Value>().await.unwrap(),
            json!({"message": "Internal server error"})
        );
    }
    // Portico is still serving.
    let line = p.wait_for_log("GET /dev/doubling 500");
    assert!(line.contains("response template"), "{line}");
}
