//! An API imported as API Gateway exports it: the PetStore example.

use serde_json::{Value, json};

use crate::harness::{Setup, Upstream};

#[tokio::test]
async fn the_petstore_example_runs_as_api_gateway_exports_it() {
    let upstream = Upstream::start(None);
    // API Gateway's export of its PetStore example, its HTTP backend on the upstream.
    let p = Setup::new()
        .rest_api("petstore", "stages: {dev: {}}")
        .openapi("crates/config/tests/openapi/petstore.yaml")
        .replace(
            "http://petstore.execute-api.us-east-1.amazonaws.com",
            &upstream.url(),
        )
        .serve();
    let base = format!("{}/execute-api/petstore/dev", p.endpoint());

    // GET /: a MOCK whose response template is the HTML page, with the stage in its links.
    let page = p.client().get(format!("{base}/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html");
    let html = page.text().await.unwrap();
    assert!(html.contains("Welcome to your Pet Store API"), "{html}");
    assert!(html.contains(r#"href="/dev/pets/1""#), "{html}");

    // GET /pets: HTTP, with the query mapped on and the CORS header from a static mapping.
    let pets = p
        .client()
        .get(format!("{base}/pets?type=cat&ignored=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(pets.status(), 200);
    assert_eq!(pets.headers()["access-control-allow-origin"], "*");
    let pets: Value = pets.json().await.unwrap();
    assert_eq!(pets, json!([{"id": 2, "type": "cat", "price": 124.99}]));

    // GET /pets/{petId}: the path parameter mapped into the backend's URL.
    let pet: Value = p
        .client()
        .get(format!("{base}/pets/3"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pet, json!({"id": 3, "type": "fish", "price": 0.99}));

    // POST /pets: the body passed through (when_no_match) to the backend.
    let created: Value = p
        .client()
        .post(format!("{base}/pets"))
        .header("content-type", "application/json")
        .body(r#"{"type": "cat", "price": 123.11}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        created,
        json!({"pet": {"type": "cat", "price": 123.11}, "message": "success"})
    );

    // OPTIONS /pets: the CORS MOCK.
    let preflight = p
        .client()
        .request(reqwest::Method::OPTIONS, format!("{base}/pets"))
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    assert_eq!(
        preflight.headers()["access-control-allow-methods"],
        "POST,GET,OPTIONS"
    );
    // No such method: REST's 403.
    let missing = p
        .client()
        .delete(format!("{base}/pets"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 403);
}
