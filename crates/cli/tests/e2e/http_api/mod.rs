//! HTTP APIs: stages, AWS's route matching, the 2.0 event with route data, API Gateway's
//! error shapes, authorizers, throttling, CORS, HTTP proxy routes and parameter mappings.

mod aws_iam;
mod aws_services;
mod cors;
mod http_proxy;
mod jwt_authorizers;
mod lambda_authorizers;
mod parameter_mapping;
mod payload_format;
mod routes;
mod streaming;
mod throttling;

use serde_json::Value;

use crate::harness::{Portico, header};

/// GETs `url`: status, `apigw-requestid`, body as JSON.
async fn get(p: &Portico, url: &str) -> (u16, Option<String>, Value) {
    let (status, headers, body) = Portico::answer(p.client().get(url)).await;
    (status, header(&headers, "apigw-requestid"), body)
}

/// Two throwaway CAs for helper servers that speak https (`clients/tls.py` writes each
/// server's CA into the folder it is given): Portico trusts the first through
/// `SSL_CERT_FILE`, and not the second.
struct Cas {
    trusted: tempfile::TempDir,
    untrusted: tempfile::TempDir,
}

impl Cas {
    fn new() -> Cas {
        let dir = || tempfile::tempdir().unwrap();
        Cas {
            trusted: dir(),
            untrusted: dir(),
        }
    }

    /// The CA certificate file to give Portico as `SSL_CERT_FILE`.
    fn trusted_file(&self) -> String {
        self.trusted.path().join("ca.pem").display().to_string()
    }
}
