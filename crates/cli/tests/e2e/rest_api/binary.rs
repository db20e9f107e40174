//! Binary media types: what reaches the function as base64 and what the client gets.

use serde_json::{Value, json};

use crate::harness::Setup;

#[tokio::test]
async fn binary_media_types_decide_what_is_base64() {
    let p = Setup::new()
        .python("echo", "app.echo_proxy")
        .python("png", "app.binary_proxy")
        .rest_api(
            "files",
            r#"
binary_media_types: [image/png]
routes:
  POST /echo: {function: echo}
  GET /png: {function: png}
"#,
        )
        .serve();
    let base = format!("{}/execute-api/files/prod", p.endpoint());
    let send = |content_type: &'static str, body: &'static [u8]| {
        let request = p
            .client()
            .post(format!("{base}/echo"))
            .header("content-type", content_type)
            .body(body);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    // A binary media type: base64 in the event.
    let event = send("image/png", b"\x89PNG\xff").await;
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(event["body"], "iVBOR/8=");
    // Any other type is text, as REST APIs pass it (bytes that are not UTF-8 are lost).
    let event = send("text/plain; charset=utf-8", "héllo".as_bytes()).await;
    assert_eq!(
        (event["isBase64Encoded"].clone(), event["body"].clone()),
        (json!(false), json!("héllo"))
    );
    let event = send("application/octet-stream", b"\xff").await;
    assert_eq!(
        (event["isBase64Encoded"].clone(), event["body"].clone()),
        (json!(false), json!("\u{fffd}"))
    );
    // A base64 answer is decoded for a client that accepts the binary type, else passed on.
    let image = p
        .client()
        .get(format!("{base}/png"))
        .header("accept", "image/png")
        .send()
        .await
        .unwrap();
    assert_eq!(image.headers()["content-type"], "image/png");
    assert_eq!(image.bytes().await.unwrap().as_ref(), b"\x89PNG\r\n\x1a\n");
    let text = p.client().get(format!("{base}/png")).send().await.unwrap();
    assert_eq!(text.text().await.unwrap(), "iVBORw0KGgo=");
}
