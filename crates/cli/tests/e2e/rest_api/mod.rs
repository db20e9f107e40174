//! REST APIs: stages, resources and methods, REST's flavor of the 1.0 event, HTTP proxy
//! methods, SigV4, and REST's gateway responses for what goes wrong; the APIs imported from
//! OpenAPI documents are in `fixtures/openapi/`.

mod api_keys;
mod authorizers;
mod aws_services;
mod binary;
mod gateway_responses;
mod lambda_proxy;
mod non_proxy;
mod openapi_import;
mod stage_cache;
mod stage_variables;
mod streaming;
mod validation;

use serde_json::Value;

use crate::harness::{Portico, header};

/// GETs `url`: status, `x-amzn-ErrorType`, body as JSON; every REST answer names its ids.
async fn get(p: &Portico, url: &str) -> (u16, Option<String>, Value) {
    let (status, headers, body) = Portico::answer(p.client().get(url)).await;
    assert!(
        headers.contains_key("x-amzn-requestid"),
        "REST APIs name every answer's request id"
    );
    assert!(headers.contains_key("x-amz-apigw-id"));
    (status, header(&headers, "x-amzn-errortype"), body)
}
