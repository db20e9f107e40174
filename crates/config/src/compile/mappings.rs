//! An HTTP API route's parameter mappings: what it changes in the request before it is sent
//! on, and in the response by its status code.

use super::Compiler;
use crate::{MappingTarget, ParameterMapping};

impl Compiler {
    pub(super) fn request_parameters(
        &mut self,
        route: &crate::raw::RawRoute,
    ) -> Vec<ParameterMapping> {
        let mut mappings = Vec::new();
        for (crate::raw::Key(key), value) in &route.request_parameters {
            match ParameterMapping::parse(&key.value, value) {
                Ok(mapping) if route.http.is_none() && mapping.target == MappingTarget::Path => {
                    self.error(
                        key,
                        "a `function:` route's path cannot be mapped",
                        "map headers and query parameters, or make the route `http:`",
                    )
                }
                Ok(mapping) if mapping.value.reads_request_body() => self.error(
                    key,
                    format!("mapping `{}`: `$request.body` is mapped by AWS service integrations only", key.value),
                    "map headers, query parameters, the path, `$context` or stage variables",
                ),
                Ok(mapping) => mappings.push(mapping),
                Err(why) => self.error(
                    key,
                    format!("mapping `{}`: {why}", key.value),
                    "write e.g. `append:header.x-name: $request.header.x-other` or `overwrite:path: /v2/${request.path.id}`",
                ),
            }
        }
        mappings
    }

    pub(super) fn response_parameters(
        &mut self,
        route: &crate::raw::RawRoute,
    ) -> Vec<(u16, Vec<ParameterMapping>)> {
        let mut by_status = Vec::new();
        for (crate::raw::Key(status), mappings) in &route.response_parameters {
            let Some(code) = status
                .value
                .parse::<u16>()
                .ok()
                .filter(|c| (200..=599).contains(c))
            else {
                self.error(
                    status,
                    format!("`{}` is not a status code from 200 to 599", status.value),
                    "key the mappings by the integration's status code, e.g. `\"404\": {...}`",
                );
                continue;
            };
            let mut parsed = Vec::new();
            for (crate::raw::Key(key), value) in mappings {
                match ParameterMapping::parse_response(&key.value, value) {
                    Ok(mapping) if mapping.value.reads_request_body() => self.error(
                        key,
                        format!("mapping `{}`: `$request.body` is mapped by AWS service integrations only", key.value),
                        "map the response's headers or body, `$context` or stage variables",
                    ),
                    Ok(mapping) => parsed.push(mapping),
                    Err(why) => self.error(
                        key,
                        format!("mapping `{}`: {why}", key.value),
                        "write e.g. `overwrite:statuscode: \"204\"` or `append:header.x-name: $response.header.x-other`",
                    ),
                }
            }
            by_status.push((code, parsed));
        }
        by_status
    }
}
