//! An API's stages (variables, cache, access log) and the throttles that stages, routes and
//! usage plans set.

use std::collections::BTreeMap;
use std::time::Duration;

use super::Compiler;
use crate::raw::RawThrottle;
use crate::{RouteKey, Stage, Throttle};

impl Compiler {
    /// An API's stages; without any, `$default` (HTTP APIs) or `prod` (REST APIs, which
    /// have no `$default`).
    pub(crate) fn stages(
        &mut self,
        raw: Option<BTreeMap<crate::raw::Key, crate::raw::RawStage>>,
        allow_default: bool,
    ) -> BTreeMap<String, Stage> {
        let mut stages = BTreeMap::new();
        let Some(raw_stages) = raw else {
            let name = if allow_default { "$default" } else { "prod" };
            stages.insert(name.to_string(), Stage::default());
            return stages;
        };
        for (crate::raw::Key(stage), raw_stage) in raw_stages {
            let ok = (allow_default && stage.value == "$default")
                || (!stage.value.is_empty()
                    && stage.value.len() <= 128
                    && stage
                        .value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            if !ok {
                let allowed = if allow_default {
                    "use `$default` or letters, digits, `-` and `_`"
                } else {
                    "use letters, digits, `-` and `_` (REST and WebSocket APIs have no `$default` stage)"
                };
                self.error(
                    &stage,
                    format!("`{}` is not a valid stage name", stage.value),
                    allowed,
                );
            }
            let variables = raw_stage
                .variables
                .into_iter()
                .map(|(crate::raw::Key(k), v)| (k.value, v.into_string()))
                .collect();
            let throttle = raw_stage.throttle.map(|t| self.throttle(t));
            let cache_ttl = match &raw_stage.cache_ttl {
                Some(ttl) if allow_default => {
                    self.error(
                        ttl,
                        "`cache_ttl` is for REST API stages",
                        "HTTP APIs have no stage cache; use `protocol: rest`",
                    );
                    None
                }
                Some(_) => {
                    let seconds =
                        self.ranged(&raw_stage.cache_ttl, 300, 0, 3600, "cache_ttl", "seconds");
                    Some(Duration::from_secs(seconds))
                }
                None => None,
            };
            let access_log = raw_stage.access_log.map(|log| self.access_log(log));
            let mut cache_methods = BTreeMap::new();
            for (crate::raw::Key(method), ttl) in raw_stage.cache_methods {
                if allow_default {
                    self.error(
                        &method,
                        "`cache_methods` is for REST API stages",
                        "HTTP APIs have no stage cache; use `protocol: rest`",
                    );
                    continue;
                }
                if let Err(why) = RouteKey::parse(&method.value) {
                    self.error(
                        &method,
                        format!("`{}` is not a method: {why}", method.value),
                        "name a method as its route, e.g. `GET /pets/{id}`",
                    );
                }
                let seconds =
                    self.ranged(&Some(ttl), 300, 0, 3600, "a method's cache TTL", "seconds");
                cache_methods.insert(method.value, Duration::from_secs(seconds));
            }
            stages.insert(
                stage.value,
                Stage {
                    variables,
                    throttle,
                    cache_ttl,
                    cache_methods,
                    access_log,
                },
            );
        }
        stages
    }

    /// A stage's access log: its format must name `$context.requestId`, as API Gateway's does.
    fn access_log(&mut self, raw: crate::raw::RawAccessLog) -> crate::AccessLog {
        if !raw.format.value.contains("$context.requestId") {
            self.error(
                &raw.format,
                "an access log format must include `$context.requestId`",
                "e.g. format: '{\"requestId\":\"$context.requestId\", \"status\":\"$context.status\"}'",
            );
        }
        let rotation = match raw.rotation.as_ref().map(|r| r.value.as_str()) {
            None | Some("daily") => crate::Rotation::Daily,
            Some("hourly") => crate::Rotation::Hourly,
            Some("never") => crate::Rotation::Never,
            Some(other) => {
                if let Some(place) = &raw.rotation {
                    self.error(
                        place,
                        format!("rotation `{other}` is not daily, hourly or never"),
                        "write `rotation: daily`",
                    );
                }
                crate::Rotation::Daily
            }
        };
        crate::AccessLog {
            format: raw.format.value,
            file: raw.file.map(|f| self.base.join(f.value)),
            rotation,
        }
    }

    pub(crate) fn throttle(&mut self, raw: RawThrottle) -> Throttle {
        if !(raw.rate.value >= 0.0 && raw.rate.value.is_finite()) {
            self.error(
                &raw.rate,
                format!("throttle rate {} is not a rate", raw.rate.value),
                "rate is requests per second, 0 or more",
            );
        }
        Throttle {
            rate: raw.rate.value,
            burst: raw.burst.value,
        }
    }
}
