//! The HTTP proxy integration: the request forwarded to a URL, bodies streamed both ways
//! through a pooled keep-alive client, so that a large upload or download never sits in
//! Portico's memory.

use bytes::Bytes;
use http::{HeaderValue, Request, Response, Uri, header};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;

/// A body of any origin, boxed for the client and for the response.
pub type AnyBody = UnsyncBoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// Request headers that describe the client's connection, not the request.
const HOP_BY_HOP: [header::HeaderName; 5] = [
    header::CONNECTION,
    header::TRANSFER_ENCODING,
    header::TE,
    header::UPGRADE,
    header::HOST,
];

pub struct Proxy {
    client: Client<HttpsConnector<HttpConnector>, AnyBody>,
}

impl Default for Proxy {
    fn default() -> Self {
        Proxy {
            client: crate::client::pooled(),
        }
    }
}

/// Why the upstream did not answer.
#[derive(Debug)]
pub enum Unreachable {
    /// The request body went over the payload limit while it was being sent.
    TooLarge,
    Failed(String),
}

impl Proxy {
    /// Sends the request to `url` (its path and query already substituted) and returns the
    /// upstream's answer with its body still streaming.
    pub async fn forward(
        &self,
        method: &http::Method,
        headers: &http::HeaderMap,
        url: &str,
        forwarded: &[(&'static str, String)],
        body: AnyBody,
    ) -> Result<Response<AnyBody>, Unreachable> {
        let uri: Uri = url
            .parse()
            .map_err(|e| Unreachable::Failed(format!("{url}: {e}")))?;
        let mut request = Request::builder().method(method.clone()).uri(uri);
        if let Some(out) = request.headers_mut() {
            for (name, value) in headers {
                if !HOP_BY_HOP.contains(name) {
                    out.append(name, value.clone());
                }
            }
            for (name, value) in forwarded {
                if let Ok(value) = HeaderValue::from_str(value) {
                    out.insert(*name, value);
                }
            }
        }
        let request = request
            .body(body)
            .map_err(|e| Unreachable::Failed(e.to_string()))?;
        let response = self.client.request(request).await.map_err(|e| {
            if caused_by_limit(&e) {
                Unreachable::TooLarge
            } else {
                Unreachable::Failed(format!("{url}: {}", crate::client::describe(&e)))
            }
        })?;
        let (mut parts, body) = response.into_parts();
        for name in [header::CONNECTION, header::TRANSFER_ENCODING] {
            parts.headers.remove(name);
        }
        Ok(Response::from_parts(
            parts,
            body.map_err(Into::into).boxed_unsync(),
        ))
    }
}

/// The headers API Gateway adds to what it forwards: the client's address, Portico's port
/// and scheme, and the trace id.
pub fn forwarded(ctx: &crate::ctx::RequestCtx) -> [(&'static str, String); 4] {
    [
        ("x-forwarded-for", ctx.remote.ip().to_string()),
        ("x-forwarded-port", ctx.local_port.to_string()),
        ("x-forwarded-proto", "http".to_string()),
        ("x-amzn-trace-id", ctx.trace_id.clone()),
    ]
}

/// The body to forward: the one already read (`None` given), or the client's, streamed
/// within `limit`.
pub fn outgoing<B>(body: Option<B>, read: &Bytes, limit: Option<usize>) -> AnyBody
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match (body, limit) {
        (None, _) => http_body_util::Full::new(read.clone())
            .map_err(|never| match never {})
            .boxed_unsync(),
        (Some(body), Some(limit)) => http_body_util::Limited::new(body, limit).boxed_unsync(),
        (Some(body), None) => body.map_err(Into::into).boxed_unsync(),
    }
}

/// Whether `error` comes from the request body's size limit.
fn caused_by_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = e.source();
    }
    false
}

/// `url` with `{name}` and `{name+}` replaced by the route's path parameters, and the
/// request's query string added.
pub fn target_url(url: &str, params: &[(String, String)], query: &str) -> String {
    let mut out = url.to_string();
    for (name, value) in params {
        out = out
            .replace(&format!("{{{name}+}}"), value)
            .replace(&format!("{{{name}}}"), value);
    }
    if !query.is_empty() {
        out.push(if out.contains('?') { '&' } else { '?' });
        out.push_str(query);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_parameters_and_keeps_the_query() {
        let params = [
            ("proxy".to_string(), "a/b".to_string()),
            ("id".to_string(), "7".to_string()),
        ];
        assert_eq!(
            target_url("http://u:1/x/{proxy}", &params, ""),
            "http://u:1/x/a/b"
        );
        assert_eq!(
            target_url("http://u:1/i/{id}", &params, "q=1"),
            "http://u:1/i/7?q=1"
        );
        assert_eq!(
            target_url("http://u:1/?k=v", &params, "q=1"),
            "http://u:1/?k=v&q=1"
        );
    }
}
