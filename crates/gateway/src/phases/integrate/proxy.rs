//! The HTTP integrations: the request forwarded to a URL, bodies streamed both ways
//! through a pooled keep-alive client, so that a large upload or download never sits in
//! Portico's memory ([`pass`], the HTTP proxy of HTTP APIs and REST APIs); or sent whole and
//! its answer read whole within the payload limit ([`call`], REST's non-proxy HTTP).

use bytes::Bytes;
use http::{HeaderValue, Request, Response, Uri, header};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;

use crate::body::Body;
use crate::ctx::{Answer, RequestCtx, Timeline};
use crate::refusal::{Kind, Refusal};

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

impl Unreachable {
    fn refusal(self, limit: Option<usize>) -> Refusal {
        match self {
            Unreachable::TooLarge => {
                Refusal::new(Kind::TooLarge { limit }, "request body too large")
            }
            Unreachable::Failed(why) => Refusal::new(Kind::Unreachable, why),
        }
    }
}

/// What an HTTP integration sends.
pub struct Outbound<'a> {
    pub method: &'a http::Method,
    pub headers: &'a http::HeaderMap,
    /// The URL, its path parameters and query already in place.
    pub url: String,
    pub body: AnyBody,
    /// The payload limit the body is sent within.
    pub limit: Option<usize>,
}

/// An HTTP proxy integration: `outbound` forwarded within `timeout` with the headers API
/// Gateway adds, the upstream's answer passed back with its body streaming.
pub async fn pass(
    proxy: &Proxy,
    timeline: &mut Timeline,
    forwarded: &[(&'static str, String)],
    outbound: Outbound<'_>,
    timeout: Option<std::time::Duration>,
) -> Answer {
    let Outbound {
        method,
        headers,
        url,
        body,
        limit,
    } = outbound;
    let call = proxy.forward(method, headers, &url, forwarded, body);
    match super::timed(timeline, timeout, call).await? {
        Ok(response) => Ok(response.map(Body::Upstream)),
        Err(unreachable) => Err(unreachable.refusal(limit)),
    }
}

/// What a non-proxy HTTP integration answered, read whole.
pub struct Called {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// A non-proxy HTTP integration: `outbound` sent (no forwarding headers), its answer read
/// whole within the payload limit, as the templates need it.
pub async fn call(proxy: &Proxy, outbound: Outbound<'_>) -> Result<Called, Refusal> {
    let Outbound {
        method,
        headers,
        url,
        body,
        limit,
    } = outbound;
    let answer = proxy
        .forward(method, headers, &url, &[], body)
        .await
        .map_err(|e| e.refusal(limit))?;
    let (parts, body) = answer.into_parts();
    let body = crate::body::read(body, limit).await.map_err(|e| {
        let why = match e {
            crate::body::ReadError::TooLarge => "the backend's answer is over the payload limit",
            crate::body::ReadError::Broken => "the backend's answer broke off",
        };
        Refusal::new(Kind::IntegrationFailed, why)
    })?;
    Ok(Called {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    })
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

/// Sets the header `name` to `value`, when both are valid in HTTP (a mapped value that is
/// not is left out).
pub fn set_header(headers: &mut http::HeaderMap, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (
        http::HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        headers.insert(name, value);
    }
}

/// The headers API Gateway adds to what it forwards: the client's address, Portico's port
/// and scheme, and the trace id.
pub fn forwarded(ctx: &RequestCtx) -> [(&'static str, String); 4] {
    [
        ("x-forwarded-for", ctx.remote.ip().to_string()),
        ("x-forwarded-port", ctx.local_port.to_string()),
        ("x-forwarded-proto", ctx.scheme.to_string()),
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
        (None, _) => whole(read.clone()),
        (Some(body), Some(limit)) => http_body_util::Limited::new(body, limit).boxed_unsync(),
        (Some(body), None) => body.map_err(Into::into).boxed_unsync(),
    }
}

/// A body already read, to send.
pub fn whole(bytes: Bytes) -> AnyBody {
    http_body_util::Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
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
