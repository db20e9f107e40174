//! A streaming method: bytes passed on as the function writes them.

use crate::harness::Setup;

#[tokio::test]
async fn a_streaming_method_passes_bytes_on_as_the_function_writes_them() {
    let p = Setup::new()
        .node("stream", "stream.handler")
        .rest_api("live", "stages: {dev: {}}")
        .openapi("fixtures/openapi/streaming-method.yaml")
        .serve();
    let gate = crate::harness::Gate::new().await;
    let url = format!(
        "{}/execute-api/live/dev/live?gate={}",
        p.endpoint(),
        gate.addr
    );
    let mut response = p.client().get(url).send().await.unwrap();
    assert_eq!(response.status(), 201);
    // The first chunk arrives while the function still waits at the gate.
    assert_eq!(&response.chunk().await.unwrap().unwrap()[..], b"first\n");
    gate.open().await;
    assert_eq!(&response.chunk().await.unwrap().unwrap()[..], b"second\n");
}
