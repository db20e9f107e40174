//! The Function URL front door: a request for one function, through the phases.

use std::net::SocketAddr;

use http::{Request, Response, StatusCode};
use portico_config::{FunctionRef, FunctionUrl};
use portico_events::UrlError;
use portico_observe::Target;

use crate::Gateway;
use crate::body::Body;
use crate::ctx::{Answer, RequestCtx};
use crate::phases::integrate::lambda::Callee;
use crate::phases::{authorize, integrate, map, resolve, respond, validate};
use crate::refusal::Refusal;

impl Gateway {
    /// Serves `req` for the URL of `function` (of `$LATEST`, or of the alias it names);
    /// `path` is the path the function sees.
    pub async fn function_url<B>(
        &self,
        function: &FunctionRef,
        path: String,
        req: Request<B>,
        remote: SocketAddr,
    ) -> Response<Body>
    where
        B: http_body::Body<Data = bytes::Bytes>,
    {
        let (parts, body) = req.into_parts();
        let found = resolve::function_url(&self.runtime, function);
        let target = match &found {
            Some((function, _)) => Target::function_url(&function.to_string()),
            None => Target::UnknownUrl,
        };
        let mut ctx = RequestCtx::new(parts, path, remote, self.local_port, target);
        let cors = found.as_ref().and_then(|(_, url)| url.cors.as_ref());
        if let Some(preflight) = crate::cors::preflight(cors, &ctx, StatusCode::OK) {
            self.record(&ctx, &preflight, None);
            return preflight;
        }
        let callee = found
            .as_ref()
            .and_then(|(function, url)| Some((self.callee(function)?, *url)));
        let answer = match callee {
            Some((callee, url)) => self.url_phases(&mut ctx, &callee, url, body).await,
            None => {
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
        callee: &Callee,
        url: &FunctionUrl,
        body: B,
    ) -> Answer
    where
        B: http_body::Body<Data = bytes::Bytes>,
    {
        let f = callee.pool.function();
        phase!(ctx, validate::body(ctx, body, f.limits.sync_payload).await);
        phase!(ctx, authorize::function_url(ctx, url, &self.signing()));
        phase!(ctx, map::function_url(ctx, f, &self.account_id));
        integrate::lambda::invoke(ctx, callee, url.invoke_mode).await?;
        respond::function_url(ctx, url.invoke_mode, &f.limits).await
    }
}

/// A Function URL's refusal: Lambda's error shape, with the request and trace ids.
fn refused(ctx: &RequestCtx, refusal: &Refusal) -> Response<Body> {
    let error = refusal.kind.url_error().response();
    let response = crate::refusal::render(&error, Some(&ctx.request_id));
    respond::with_trace_id(ctx, response)
}
