//! The floor for Portico's benchmark (`scripts/bench`): a plain hyper HTTP/1.1 server that
//! does what the benchmark's Lambda function (`fixtures/rust-hello`) does, with nothing in
//! between: every request gets 200, `content-type: text/plain` and `Hello, world!`
//! (`Hello, <name>!` for `?name=<name>`). No Lambda, no proxy: the fastest this can be.
//!
//! Usage: `portico-bench-floor 127.0.0.1:PORT`

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

async fn hello(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let name = req
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("name=")))
        .unwrap_or("world");
    Ok(Response::builder()
        .header("content-type", "text/plain")
        .body(Full::new(Bytes::from(format!("Hello, {name}!"))))
        .expect("a static response is valid"))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3001".into());
    let listener = TcpListener::bind(&addr).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        tokio::spawn(async move {
            let conn =
                http1::Builder::new().serve_connection(TokioIo::new(stream), service_fn(hello));
            let _ = conn.await;
        });
    }
}
