//! The Function URL front door: a request for one function, through the phases.

use std::net::SocketAddr;
use std::sync::Arc;

use http::{Request, Response, StatusCode};
use portico_config::FunctionUrl;
use portico_events::UrlError;
use portico_observe::Target;
use portico_runtime::Pool;

use crate::Gateway;
use crate::body::Body;
use crate::ctx::{Answer, RequestCtx};
use crate::phases::{authorize, integrate, map, resolve, respond, validate};
use crate::refusal::Refusal;

impl Gateway {
    /// Serves `req` for `function`'s URL; `path` is the path the function sees.
    pub async fn function_url<B>(
        &self,
        function: &str,
        path: String,
        req: Request<B>,
        remote: SocketAddr,
    ) -> Response<Body>
    where
        B: http_body::Body<Data = bytes::Bytes>,
    {
        let (parts, body) = req.into_parts();
        let function = match self.runtime.pool(function) {
            Some(_) => function,
            None => {
                let names = self.runtime.pools().map(|p| p.function().name.as_str());
                resolve::spelled(function, names).unwrap_or(function)
            }
        };
        let found = resolve::function_url(&self.runtime, function);
        let target = match &found {
            Some(_) => Target::function_url(function),
            None => Target::UnknownUrl,
        };
        let mut ctx = RequestCtx::new(parts, path, remote, self.local_port, target);
        let url = found.as_ref().and_then(|pool| pool.function().url.as_ref());
        let cors = url.and_then(|url| url.cors.as_ref());
        if let Some(preflight) = crate::cors::preflight(cors, &ctx, StatusCode::OK) {
            self.record(&ctx, &preflight, None);
            return preflight;
        }
        let answer = match (&found, url) {
            (Some(pool), Some(url)) => self.url_phases(&mut ctx, pool, url, body).await,
            _ => {
                let error = UrlError::NoSuchUrl {
                    function: function.to_string(),
                };
                Err(Refusal::url(error, "no such function URL"))
            }
        };
        let (mut response, refusal) = match answer {
            Ok(response) => (response, None),
            Err(refusal) => (refused(&ctx, &refusal), Some(refusal)),
        };
        // Function URLs add their CORS headers to every answer, Portico's own included.
        crate::cors::apply(cors, ctx.header("origin"), response.headers_mut());
        self.record(&ctx, &response, ctx.failure(refusal.as_ref()));
        response
    }

    /// validate (the body is read before authorize: a SigV4 signature covers it) →
    /// authorize → map → integrate → respond.
    async fn url_phases<B>(
        &self,
        ctx: &mut RequestCtx,
        pool: &Arc<Pool>,
        url: &FunctionUrl,
        body: B,
    ) -> Answer
    where
        B: http_body::Body<Data = bytes::Bytes>,
    {
        let f = pool.function();
        phase!(ctx, validate::body(ctx, body, f.limits.sync_payload).await);
        phase!(ctx, authorize::function_url(ctx, url, &self.signing()));
        phase!(ctx, map::function_url(ctx, f, &self.account_id));
        let arn = self.function_arn(&f.name, None);
        integrate::lambda::invoke(ctx, pool, arn, url.invoke_mode).await?;
        respond::function_url(ctx, url.invoke_mode, &f.limits).await
    }
}

/// A Function URL's refusal: Lambda's error shape, with the request and trace ids.
fn refused(ctx: &RequestCtx, refusal: &Refusal) -> Response<Body> {
    let error = refusal.kind.url_error().response();
    let response = crate::refusal::render(&error, Some(&ctx.request_id));
    respond::with_trace_id(ctx, response)
}
