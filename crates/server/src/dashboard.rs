//! The dashboard page the admin listener serves at `/dashboard`: our HTML, JavaScript and CSS
//! (`dashboard/src`) and uPlot, the chart library, all built into the binary (no CDN). The
//! page polls the admin listener's JSON endpoints (`/api/traffic`, `/api/functions`,
//! `/api/tail`, `/api/cost`) once a second.
//!
//! `build.rs` fetches uPlot with npm; where it could not, the page says how to fix that.

use bytes::Bytes;
use http::StatusCode;

const HTML: &str = "text/html; charset=utf-8";
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

const INDEX: &[u8] = include_bytes!("../../../dashboard/src/index.html");
const APP: &[u8] = include_bytes!("../../../dashboard/src/app.js");
const STYLE: &[u8] = include_bytes!("../../../dashboard/src/style.css");

/// uPlot's script and style sheet, when `build.rs` could install them.
#[cfg(dashboard_assets)]
const UPLOT: Option<(&[u8], &[u8])> = Some((
    include_bytes!(concat!(env!("PORTICO_UPLOT_DIST"), "/uPlot.iife.min.js")),
    include_bytes!(concat!(env!("PORTICO_UPLOT_DIST"), "/uPlot.min.css")),
));
#[cfg(not(dashboard_assets))]
const UPLOT: Option<(&[u8], &[u8])> = None;

/// What the page says when the binary was built without uPlot.
const NOT_BUILT: &[u8] = b"<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
<title>Portico dashboard</title><p>The dashboard's assets were not built: install Node.js \
and npm and rebuild (<code>cargo build</code> runs <code>npm ci</code> in \
<code>dashboard/</code>).</p></html>\n";

/// The content type and bytes of the dashboard asset at `path` (`/dashboard`, `/dashboard/`,
/// `/dashboard/app.js`, …), or `None` when there is none (or the binary was built without
/// the assets, see [`answer`]).
pub fn asset(path: &str) -> Option<(&'static str, &'static [u8])> {
    let (uplot_js, uplot_css) = UPLOT?;
    Some(match path {
        "/dashboard" | "/dashboard/" | "/dashboard/index.html" => (HTML, INDEX),
        "/dashboard/app.js" => (JAVASCRIPT, APP),
        "/dashboard/style.css" => (CSS, STYLE),
        "/dashboard/uPlot.iife.min.js" => (JAVASCRIPT, uplot_js),
        "/dashboard/uPlot.min.css" => (CSS, uplot_css),
        _ => return None,
    })
}

/// The admin listener's answer to `path`, one under `/dashboard`: status, content type, body.
pub fn answer(path: &str) -> (StatusCode, &'static str, Bytes) {
    if let Some((content_type, body)) = asset(path) {
        return (StatusCode::OK, content_type, Bytes::from_static(body));
    }
    if UPLOT.is_none() && matches!(path, "/dashboard" | "/dashboard/") {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            HTML,
            Bytes::from_static(NOT_BUILT),
        );
    }
    (
        StatusCode::NOT_FOUND,
        "text/plain",
        Bytes::from(format!(
            "the dashboard has no {path}: open /dashboard on the admin listener\n"
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_built() {
        assert!(
            UPLOT.is_some(),
            "built without the dashboard's assets: install Node.js and npm and rebuild"
        );
    }

    #[test]
    fn every_asset_the_page_loads_is_served() {
        assert_built();
        let index = String::from_utf8_lossy(INDEX);
        let mut loaded = 0;
        for reference in index
            .split(['"', '\''])
            .filter(|s| s.starts_with("/dashboard/"))
        {
            let (content_type, body) = asset(reference)
                .unwrap_or_else(|| panic!("index.html loads {reference}, which is not served"));
            assert!(!body.is_empty(), "{reference} is empty");
            let expected = if reference.ends_with(".js") {
                JAVASCRIPT
            } else {
                CSS
            };
            assert_eq!(content_type, expected, "{reference}");
            loaded += 1;
        }
        assert_eq!(
            loaded, 4,
            "index.html loads two scripts and two style sheets"
        );
    }

    #[test]
    fn the_page_is_html_and_others_are_not_found() {
        assert_built();
        assert_eq!(answer("/dashboard").1, HTML);
        assert_eq!(answer("/dashboard/").0, StatusCode::OK);
        assert_eq!(answer("/dashboard/nope.js").0, StatusCode::NOT_FOUND);
        assert_eq!(answer("/dashboardx").0, StatusCode::NOT_FOUND);
    }
}
