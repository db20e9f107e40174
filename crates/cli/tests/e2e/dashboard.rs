//! The dashboard, in headless Chromium (Debian's `chromium`, driven by `playwright-core` from
//! `dashboard/node_modules` through `clients/dashboard.mjs`): it lists the running config's
//! routes, and after known traffic shows their totals, charts them, tails the requests by id
//! and filters the tail. Also its assets as the admin listener serves them, built in.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{Value, json};

use crate::harness::{Portico, header, repo};

/// Debian's Chromium, which `scripts/test` installs.
const CHROMIUM: &str = "/usr/bin/chromium";

/// `clients/dashboard.mjs` driving a browser on the dashboard.
struct Browser {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl Browser {
    /// Opens `url` and waits until the page lists every one of `routes`.
    fn open(url: &str, routes: &Value, p: &Portico) -> Browser {
        assert!(
            Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing: install Debian's chromium (scripts/test does)"
        );
        let playwright = repo().join("dashboard/node_modules/playwright-core");
        assert!(
            playwright.exists(),
            "{} is missing: run `npm ci` in dashboard/ (scripts/test and cargo build do)",
            playwright.display()
        );
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/clients/dashboard.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .arg(url)
            .arg(routes.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("cannot run node: install Node.js (scripts/test does)");
        let input = child.stdin.take().unwrap();
        let mut browser = Browser {
            output: BufReader::new(child.stdout.take().unwrap()),
            input,
            child,
        };
        let first = browser.line();
        assert!(
            first.trim() == "ready",
            "the page did not list the routes {routes}:\n{first}\nportico:\n{}",
            p.logs()
        );
        browser
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.output.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "dashboard.mjs ended without a word");
        line
    }

    /// Says `go` with what to expect, and returns the verdict.
    fn go(&mut self, expect: &Value) -> Value {
        writeln!(self.input, "go {expect}").unwrap();
        self.input.flush().unwrap();
        let line = self.line();
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("dashboard.mjs printed no JSON ({e}):\n{line}"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn route(target: &str, stage: &str, route: &str) -> Value {
    json!({"target": target, "stage": stage, "route": route})
}

/// The route rows of a verdict's `key` as (target, stage, route, requests), sorted.
fn rows(verdict: &Value, key: &str) -> Vec<(String, String, String, u64)> {
    let mut rows: Vec<_> = verdict[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {verdict}"))
        .iter()
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap().to_string();
            let requests = r["requests"].as_u64().unwrap();
            (text("target"), text("stage"), text("route"), requests)
        })
        .collect();
    rows.sort();
    rows
}

#[tokio::test]
async fn the_dashboard_shows_the_routes_and_follows_the_traffic() {
    let p = Portico::start(
        r#"
functions:
  echo: {runtime: python3.12, handler: app.echo_proxy, code: "@fixtures/python", url: {}}
apis:
  shop:
    protocol: http
    routes:
      GET /items: {function: echo}
      GET /pets: {function: echo}
"#,
    );
    let admin = p.admin.expect("the admin listener's address is printed");
    let items = route("api:shop", "$default", "GET /items");
    let pets = route("api:shop", "$default", "GET /pets");
    let configured = json!([
        route("url:echo", "", ""),
        items,
        pets,
        route("lambda", "", "echo"),
    ]);
    let mut browser = Browser::open(&format!("http://{admin}/dashboard"), &configured, &p);

    let mut ids = Vec::new();
    for (path, times) in [("shop/items", 5), ("shop/pets", 3)] {
        for _ in 0..times {
            let answered = p.api_get(path).await;
            assert_eq!(answered.status(), 200, "{path}");
            ids.push(header(answered.headers(), "apigw-requestid").unwrap());
        }
    }
    let nowhere = p.api_get("shop/nowhere").await;
    assert_eq!(nowhere.status(), 404);
    ids.push(header(nowhere.headers(), "apigw-requestid").unwrap());
    let url = p.get("echo", "/hello").await;
    assert_eq!(url.status(), 200);
    ids.push(header(url.headers(), "x-amzn-requestid").unwrap());

    let with = |mut r: Value, requests: u64| {
        r["requests"] = json!(requests);
        r
    };
    let verdict = browser.go(&json!({
        "totals": [with(items, 5), with(pets.clone(), 3), with(route("url:echo", "", ""), 1)],
        "request_ids": ids,
        "function": {"name": "echo", "invocations": 9, "busy": 0},
        "select": pets,
    }));
    let context = format!("{verdict:#}\nportico:\n{}", p.logs());

    assert_eq!(verdict["timed_out"], json!([]), "{context}");
    assert_eq!(verdict["elsewhere"], json!([]), "{context}");

    // The cost panel shows the fronts /api/cost prices, cheapest first.
    let cost: Value = reqwest::get(format!("http://{admin}/api/cost"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut fronts: Vec<(f64, &str)> = cost["fronts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["usd"].as_f64().unwrap(), f["front"].as_str().unwrap()))
        .collect();
    fronts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let cheapest_first: Vec<&str> = fronts.iter().map(|f| f.1).collect();
    assert_eq!(verdict["cost"]["state"], "shown", "{context}");
    assert_eq!(
        verdict["cost"]["fronts"],
        json!(cheapest_first),
        "{context}"
    );
    assert_eq!(verdict["failed"], json!([]), "{context}");
    assert_eq!(verdict["errors"], json!([]), "{context}");
    let row = |t: &str, s: &str, r: &str, n: u64| (t.into(), s.into(), r.into(), n);
    assert_eq!(
        rows(&verdict, "listed"),
        vec![
            row("api:shop", "$default", "GET /items", 0),
            row("api:shop", "$default", "GET /pets", 0),
            row("lambda", "", "echo", 0),
            row("url:echo", "", "", 0),
        ],
        "{context}"
    );
    assert_eq!(
        rows(&verdict, "routes"),
        vec![
            // The 404 matched no route: a row of its own, seen only in traffic.
            row("api:shop", "$default", "", 1),
            row("api:shop", "$default", "GET /items", 5),
            row("api:shop", "$default", "GET /pets", 3),
            row("lambda", "", "echo", 0),
            row("url:echo", "", "", 1),
        ],
        "{context}"
    );
    for chart in ["requests", "errors", "latency"] {
        assert!(
            verdict["points"][chart].as_u64() >= Some(1),
            "no points in the {chart} chart: {context}"
        );
    }
    let tail: Vec<&str> = verdict["tail"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for id in &ids {
        assert!(
            tail.contains(&id.as_str()),
            "{id} is not in the tail: {context}"
        );
    }
    // Newest first.
    assert_eq!(
        tail.first().copied(),
        ids.last().map(String::as_str),
        "{context}"
    );
    assert_eq!(verdict["filtered"], json!([ids[0]]), "{context}");

    let echo = verdict["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "echo")
        .unwrap_or_else(|| panic!("no echo among the functions: {context}"));
    assert_eq!(echo["invocations"], 9, "{context}");
    assert!(echo["cold_starts"].as_u64() >= Some(1), "{context}");
    assert!(echo["instances"].as_u64() >= Some(1), "{context}");
    assert_eq!(echo["busy"], 0, "{context}");

    let selection = verdict["selection"].as_str().unwrap_or_default();
    assert!(selection.contains("GET /pets"), "{context}");
    assert!(verdict["selected_points"].as_u64() >= Some(1), "{context}");
}

#[tokio::test]
async fn the_dashboard_is_served_from_the_binary() {
    let p = Portico::start(
        r#"
functions:
  echo: {runtime: python3.12, handler: app.echo_proxy, code: "@fixtures/python", url: {}}
"#,
    );
    let admin = p.admin.expect("the admin listener's address is printed");
    let get = |path: &str| reqwest::get(format!("http://{admin}{path}"));

    let page = get("/dashboard").await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(
        header(page.headers(), "content-type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("<table data-testid=\"routes\">"), "{html}");
    // Everything comes from the admin listener: no CDN.
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );

    let uplot = get("/dashboard/uPlot.iife.min.js").await.unwrap();
    assert_eq!(uplot.status(), 200);
    assert_eq!(
        header(uplot.headers(), "content-type").as_deref(),
        Some("text/javascript; charset=utf-8")
    );
    assert!(uplot.text().await.unwrap().contains("uPlot"));

    for missing in ["/dashboard/nope.js", "/dashboard/src/app.js"] {
        let answer = get(missing).await.unwrap();
        assert_eq!(answer.status(), 404, "{missing}");
    }
    // The admin listener's 404 names the dashboard.
    let other = get("/nope").await.unwrap().text().await.unwrap();
    assert!(other.contains("/dashboard"), "{other}");
}
