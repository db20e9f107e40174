//! Gateway responses: Portico's refusals customised as the API says.

use serde_json::{Value, json};

use crate::harness::Setup;

#[tokio::test]
async fn gateway_responses_are_customised_as_the_api_says() {
    let p = Setup::new()
        .rest_api("custom", "stages: {dev: {}}")
        .openapi("fixtures/openapi/gateway-responses.yaml")
        .serve();
    let base = format!("{}/execute-api/custom/dev", p.endpoint());
    // A specific type's status and template.
    let missing = p.client().get(format!("{base}/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap(),
        json!({"error": "no such route: GET /dev/nope"})
    );
    // DEFAULT_4XX for the rest of the 4XX family: a missing API key here.
    let keyless = p
        .client()
        .get(format!("{base}/pets"))
        .header("x-asked", "yes")
        .send()
        .await
        .unwrap();
    assert_eq!(keyless.status(), 403);
    assert_eq!(keyless.headers()["access-control-allow-origin"], "*");
    assert_eq!(keyless.headers()["x-asked"], "yes");
    assert_eq!(keyless.headers()["x-amzn-errortype"], "ForbiddenException");
    assert_eq!(
        keyless.json::<Value>().await.unwrap(),
        json!({"error": "Forbidden", "type": "INVALID_API_KEY"})
    );
    // The validator's message reaches the template.
    let invalid = p
        .client()
        .post(format!("{base}/pets"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 422);
    let body: Value = invalid.json().await.unwrap();
    assert!(body["invalid"].as_str().unwrap().contains("name"), "{body}");
}
