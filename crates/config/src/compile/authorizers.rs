//! An HTTP API's authorizers: Lambda (payload format 1.0 or 2.0) and JWT.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_saphyr::Spanned;

use super::{Compiler, is_web_url};
use crate::raw::RawAuthorizer;
use crate::{Authorizer, AuthorizerKind, Function, IdentitySource, PayloadFormat};

impl Compiler {
    pub(super) fn authorizer(
        &mut self,
        name: &Spanned<String>,
        raw: RawAuthorizer,
        functions: &BTreeMap<String, Function>,
    ) -> Option<Authorizer> {
        let errors_before = self.diagnostics.len();
        let mut identity_sources = Vec::new();
        let written = raw
            .identity_source
            .as_ref()
            .map(crate::raw::Sources::each)
            .unwrap_or_default();
        for source in &written {
            match IdentitySource::parse(&source.value) {
                Some(parsed) => identity_sources.push(parsed),
                None => self.error(
                    source,
                    format!("identity source `{}` is not understood", source.value),
                    "use `$request.header.<name>` or `$request.querystring.<name>`",
                ),
            }
        }
        let kind = match raw.kind.value.as_str() {
            "lambda" => {
                let payload_format = match raw.payload_format.as_ref() {
                    None => PayloadFormat::V2,
                    Some(format) if format.value == "2.0" => PayloadFormat::V2,
                    Some(format) if format.value == "1.0" => {
                        if raw.simple_responses {
                            self.error(
                                format,
                                "simple responses need authorizer payload_format \"2.0\"",
                                "answer with an IAM policy, or use payload_format \"2.0\"",
                            );
                        }
                        PayloadFormat::V1
                    }
                    Some(format) => {
                        self.error(
                            format,
                            format!(
                                "authorizer payload_format `{}` is not \"1.0\" or \"2.0\"",
                                format.value
                            ),
                            "use \"2.0\" (or \"1.0\" for the REST shape)",
                        );
                        PayloadFormat::V2
                    }
                };
                let function = match &raw.function {
                    Some(f) => {
                        self.known_function(f, &format!("authorizer `{}`", name.value), functions);
                        f.value.clone()
                    }
                    None => {
                        self.error(
                            &raw.kind,
                            format!("lambda authorizer `{}` has no `function`", name.value),
                            "add `function: <name>`",
                        );
                        String::new()
                    }
                };
                let default_ttl = if identity_sources.is_empty() { 0 } else { 300 };
                let ttl = self.ranged(&raw.ttl, default_ttl, 0, 3600, "ttl", "seconds");
                if ttl > 0
                    && identity_sources.is_empty()
                    && let Some(place) = &raw.ttl
                {
                    self.error(
                        place,
                        "a cached authorizer needs an identity source to key its cache on",
                        "add `identity_source:` or set `ttl: 0`",
                    );
                }
                AuthorizerKind::Lambda {
                    function,
                    payload_format,
                    simple_responses: raw.simple_responses,
                    ttl: Duration::from_secs(ttl),
                }
            }
            "jwt" => {
                if identity_sources.is_empty() {
                    identity_sources.push(IdentitySource::Header("authorization".into()));
                }
                let Some(issuer) = &raw.issuer else {
                    self.error(
                        &raw.kind,
                        format!("jwt authorizer `{}` has no `issuer`", name.value),
                        "add `issuer: <the iss of its tokens>`",
                    );
                    return None;
                };
                if raw.audience.is_empty() {
                    self.error(
                        issuer,
                        format!("jwt authorizer `{}` has no `audience`", name.value),
                        "add `audience: [<client id or aud>]`",
                    );
                }
                let keys_at = raw.jwks_uri.as_ref().unwrap_or(issuer);
                if !is_web_url(&keys_at.value) {
                    self.error(
                        keys_at,
                        format!(
                            "`{}` is not an http:// or https:// URL to fetch keys from",
                            keys_at.value
                        ),
                        "give the issuer as its tokens' `iss` (https://...), or a `jwks_uri`",
                    );
                }
                AuthorizerKind::Jwt {
                    issuer: issuer.value.clone(),
                    audience: raw.audience.clone(),
                    jwks_uri: raw.jwks_uri.as_ref().map(|u| u.value.clone()),
                }
            }
            other => {
                self.error(
                    &raw.kind,
                    format!("authorizer type `{other}` is not served"),
                    "use `lambda` or `jwt`",
                );
                return None;
            }
        };
        (self.diagnostics.len() == errors_before).then(|| Authorizer {
            name: name.value.clone(),
            identity_sources,
            kind,
        })
    }
}
