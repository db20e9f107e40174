//! The outbound HTTP client Portico uses to reach other servers (HTTP proxy upstreams, JWT
//! issuers): pooled keep-alive connections, `http://` and `https://`, TLS by rustls against
//! the system's trusted certificates (`SSL_CERT_FILE` / `SSL_CERT_DIR` name others).

use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A pooled client for `http://` and `https://` URLs, sending bodies of type `B`.
pub fn pooled<B>() -> Client<HttpsConnector<HttpConnector>, B>
where
    B: http_body::Body + Send,
    B::Data: Send,
{
    Client::builder(TokioExecutor::new()).build(connector())
}

/// Connections to `http://` and `https://` URLs, TLS trusting the system's certificates.
pub fn connector() -> HttpsConnector<HttpConnector> {
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    http.enforce_http(false);
    let builder = HttpsConnectorBuilder::new()
        .with_native_roots()
        .unwrap_or_else(|e| {
            tracing::warn!(
                "no trusted CA certificates found ({e}): https upstreams and issuers will be \
                 refused; install the ca-certificates package or set SSL_CERT_FILE"
            );
            HttpsConnectorBuilder::new().with_tls_config(no_roots())
        });
    builder.https_or_http().enable_http1().wrap_connector(http)
}

/// A TLS configuration that trusts no one: every https connection fails with a certificate
/// error that says so, instead of Portico failing to start.
fn no_roots() -> rustls::ClientConfig {
    rustls::ClientConfig::builder()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth()
}

/// `error` with its causes, so that "client error (Connect)" says which: a refused
/// connection, an untrusted certificate, a name that does not resolve.
pub fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let next = e.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = e.source();
    }
    text
}
