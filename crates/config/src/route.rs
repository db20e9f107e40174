//! Route keys of HTTP APIs (`GET /items/{id}`, `ANY /{proxy+}`, `$default`): their syntax,
//! and the order API Gateway tries them in.

use std::cmp::Ordering;

/// One segment of a route's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    /// `{name}`: exactly one non-empty segment.
    Param(String),
    /// `{name+}`: the rest of the path, one segment or more; always last.
    Greedy(String),
}

/// A parsed route key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteKey {
    /// `$default`: whatever no other route matches.
    Default,
    Path {
        /// `None` for `ANY`.
        method: Option<String>,
        segments: Vec<Segment>,
        /// The key as written, e.g. `GET /items/{id}` (the event's `routeKey`).
        text: String,
    },
}

const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

impl RouteKey {
    /// Parses a route key; `Err` says what is wrong with it.
    pub fn parse(key: &str) -> Result<RouteKey, String> {
        if key == "$default" {
            return Ok(RouteKey::Default);
        }
        let Some((method, path)) = key.split_once(' ') else {
            return Err("a route key is `METHOD /path` or `$default`".into());
        };
        if !METHODS.contains(&method) {
            return Err(format!(
                "`{method}` is not a method; use one of {}",
                METHODS.join(", ")
            ));
        }
        let Some(path) = path.strip_prefix('/') else {
            return Err("the path must start with `/`".into());
        };
        if let Some(trimmed) = path.strip_suffix('/') {
            return Err(format!(
                "the path ends with `/`: write `{method} /{}`",
                trimmed.trim_end_matches('/')
            ));
        }
        let mut segments = Vec::new();
        if !path.is_empty() {
            for part in path.split('/') {
                let segment = match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    Some(name) => match name.strip_suffix('+') {
                        Some(name) => Segment::Greedy(name.to_string()),
                        None => Segment::Param(name.to_string()),
                    },
                    None if part.contains(['{', '}']) => {
                        return Err(format!(
                            "`{part}`: a parameter must be a whole segment, like `{{id}}`"
                        ));
                    }
                    None if part.is_empty() => {
                        return Err("the path has an empty segment (`//`)".into());
                    }
                    None => Segment::Literal(part.to_string()),
                };
                if let Segment::Param(name) | Segment::Greedy(name) = &segment
                    && (name.is_empty()
                        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                {
                    return Err(format!(
                        "`{part}`: parameter names are letters, digits and `_`"
                    ));
                }
                if matches!(segments.last(), Some(Segment::Greedy(_))) {
                    return Err("a greedy parameter `{name+}` must be the last segment".into());
                }
                segments.push(segment);
            }
        }
        Ok(RouteKey::Path {
            method: (method != "ANY").then(|| method.to_string()),
            segments,
            text: key.to_string(),
        })
    }

    /// The event's `routeKey`.
    pub fn text(&self) -> &str {
        match self {
            RouteKey::Default => "$default",
            RouteKey::Path { text, .. } => text,
        }
    }

    /// The path template (`/items/{id}`), or `$default`: the 1.0 event's `resource`.
    pub fn path_template(&self) -> &str {
        match self {
            RouteKey::Default => "$default",
            RouteKey::Path { text, .. } => text.split_once(' ').map_or("/", |(_, path)| path),
        }
    }

    /// API Gateway's priority: routes without a greedy parameter first; among greedy ones,
    /// the longest literal prefix; then, segment by segment, a literal before a parameter;
    /// then a method before `ANY`; `$default` last. `Less` means "tried first".
    pub fn cmp_specificity(&self, other: &RouteKey) -> Ordering {
        let (
            RouteKey::Path {
                method: ma,
                segments: sa,
                ..
            },
            RouteKey::Path {
                method: mb,
                segments: sb,
                ..
            },
        ) = (self, other)
        else {
            return matches!(self, RouteKey::Default).cmp(&matches!(other, RouteKey::Default));
        };
        let greedy = |s: &[Segment]| s.iter().position(|x| matches!(x, Segment::Greedy(_)));
        let rank = |s: &Segment| match s {
            Segment::Literal(_) => 0,
            Segment::Param(_) => 1,
            Segment::Greedy(_) => 2,
        };
        greedy(sa)
            .is_some()
            .cmp(&greedy(sb).is_some())
            .then_with(|| match (greedy(sa), greedy(sb)) {
                (Some(a), Some(b)) => b.cmp(&a),
                _ => Ordering::Equal,
            })
            .then_with(|| sa.iter().map(rank).cmp(sb.iter().map(rank)))
            .then_with(|| ma.is_none().cmp(&mb.is_none()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_route_keys_and_refuses_bad_ones() {
        let ok = RouteKey::parse("GET /items/{id}/{rest+}").unwrap();
        let RouteKey::Path {
            method, segments, ..
        } = ok
        else {
            panic!()
        };
        assert_eq!(method.as_deref(), Some("GET"));
        assert_eq!(
            segments,
            [
                Segment::Literal("items".into()),
                Segment::Param("id".into()),
                Segment::Greedy("rest".into())
            ]
        );
        assert_eq!(RouteKey::parse("$default").unwrap(), RouteKey::Default);
        assert!(
            matches!(RouteKey::parse("ANY /").unwrap(), RouteKey::Path { method: None, ref segments, .. } if segments.is_empty())
        );
        for bad in [
            "GET",
            "FETCH /x",
            "GET x",
            "GET /a//b",
            "GET /a{b}",
            "GET /{a+}/b",
            "GET /{}",
            "GET /{a-b}",
        ] {
            assert!(RouteKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn orders_routes_as_api_gateway_tries_them() {
        let keys = [
            "$default",
            "ANY /{proxy+}",
            "GET /pets/{proxy+}",
            "GET /pets/{id}",
            "ANY /pets/dog",
            "GET /pets/dog",
        ];
        let mut sorted: Vec<RouteKey> = keys.iter().map(|k| RouteKey::parse(k).unwrap()).collect();
        sorted.sort_by(RouteKey::cmp_specificity);
        let order: Vec<&str> = sorted.iter().map(RouteKey::text).collect();
        assert_eq!(
            order,
            [
                "GET /pets/dog",
                "ANY /pets/dog",
                "GET /pets/{id}",
                "GET /pets/{proxy+}",
                "ANY /{proxy+}",
                "$default"
            ]
        );
    }
}
