//! The stage cache: what it keeps, by which keys, for which methods.

use serde_json::Value;

use crate::harness::Setup;

#[tokio::test]
async fn a_stage_cache_keeps_get_answers_by_api_gateways_keys() {
    let p = Setup::new()
        .python("echo", "app.echo_proxy")
        .rest_api("cached", "stages: {dev: {cache_ttl: 300}}")
        .openapi("fixtures/openapi/stage-cache.yaml")
        .serve();
    let base = format!("{}/execute-api/cached/dev", p.endpoint());
    let get = |path: &'static str| {
        let request = p.client().get(format!("{base}{path}"));
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    // Keyed by the named query parameter: one invocation per value.
    let cat = get("/pets?type=cat").await;
    assert_eq!(get("/pets?type=cat").await, cat);
    let dog = get("/pets?type=dog").await;
    assert_eq!(dog["queryStringParameters"]["type"], "dog");
    // An unsigned Cache-Control: max-age=0 is ignored, as API Gateway ignores it by default.
    let ignored = p
        .client()
        .get(format!("{base}/pets?type=cat"))
        .header("cache-control", "max-age=0")
        .send()
        .await
        .unwrap();
    assert_eq!(ignored.json::<Value>().await.unwrap(), cat);
    // A path parameter not named as a key does not split the cache: /pets/2 gets /pets/1's
    // answer, as on AWS.
    let first = get("/pets/1").await;
    assert_eq!(first["pathParameters"]["id"], "1");
    assert_eq!(get("/pets/2").await["pathParameters"]["id"], "1");
    // POST is not cached.
    for _ in 0..2 {
        let posted = p
            .client()
            .post(format!("{base}/pets"))
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), 200);
    }
    // Invocations: cat, dog, /pets/1, and the two POSTs.
    p.wait_for_lines("REPORT RequestId", 5);
    assert_eq!(p.logs().matches("REPORT RequestId").count(), 5);
    // The access log says which answers came from the cache.
    let hits = p.wait_for_lines("(stage cache hit)", 3);
    assert_eq!(p.logs().matches("(stage cache hit)").count(), 3, "{hits:?}");
    assert_eq!(p.logs().matches("(stage cache miss)").count(), 3);
    // And in the metrics, as CacheHitCount and CacheMissCount.
    let text = crate::metrics::scrape(&p).await;
    let count = |name: &str, route: &str| {
        crate::metrics::metric(&text, name, &[("target", "rest:cached"), ("route", route)])
    };
    assert_eq!(
        count("portico_cache_hits_total", "GET /pets"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(count("portico_cache_misses_total", "GET /pets"), Some(2.0));
    assert_eq!(
        count("portico_cache_hits_total", "GET /pets/{id}"),
        Some(1.0)
    );
}

#[tokio::test]
async fn a_stage_caches_the_methods_it_names() {
    let p = Setup::new()
        .python("echo", "app.echo_proxy")
        .rest_api(
            "picky",
            r#"
stages:
  prod: {cache_methods: {"POST /search": 60, "GET /fresh": 0}}
routes:
  POST /search: {function: echo}
  GET /fresh: {function: echo}
"#,
        )
        .serve();
    let base = format!("{}/execute-api/picky/prod", p.endpoint());
    for _ in 0..2 {
        let searched = p
            .client()
            .post(format!("{base}/search"))
            .send()
            .await
            .unwrap();
        assert_eq!(searched.status(), 200);
        let fresh = p
            .client()
            .get(format!("{base}/fresh"))
            .send()
            .await
            .unwrap();
        assert_eq!(fresh.status(), 200);
    }
    // POST /search once (cached by name), GET /fresh twice (TTL 0, and no stage cache_ttl).
    p.wait_for_lines("REPORT RequestId", 3);
    assert_eq!(p.logs().matches("REPORT RequestId").count(), 3);
    assert_eq!(p.logs().matches("(stage cache hit)").count(), 1);
}
