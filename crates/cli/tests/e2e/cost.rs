//! The cost lens: `portico cost` prices the traffic a running Portico reports at `/usage`,
//! and says clearly what is wrong when no server answers or the price file is broken.

use std::process::{Command, Output};

use crate::harness::Portico;

fn portico(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portico"))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// An address where nothing listens: a port just bound and given back.
fn closed_admin() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

#[tokio::test]
async fn cost_prices_the_traffic_portico_served_behind_every_front() {
    let p = Portico::start(
        r#"
functions:
  echo: {runtime: python3.12, handler: app.echo_proxy, code: "@fixtures/python", url: {}}
apis:
  shop:
    protocol: http
    routes:
      GET /items: {function: echo}
"#,
    );
    let admin = format!("http://{}", p.admin.expect("the admin listener is printed"));
    for _ in 0..3 {
        assert_eq!(p.get("echo", "/x").await.status(), 200);
    }
    for _ in 0..2 {
        assert_eq!(p.api_get("shop/items").await.status(), 200);
    }
    // The last invocation's REPORT means every invocation was recorded.
    p.wait_for_lines("REPORT RequestId", 5);

    let out = portico(&["cost", "--admin", &admin, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["requests"], 5, "{report:#}");
    assert_eq!(report["invoke_api"]["requests"], 0, "{report:#}");
    let fronts: Vec<(&str, f64)> = report["fronts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["front"].as_str().unwrap(), f["usd"].as_f64().unwrap()))
        .collect();
    let names: Vec<&str> = fronts.iter().map(|f| f.0).collect();
    assert_eq!(names, ["rest_api", "http_api", "function_url", "alb"]);
    for (front, usd) in &fronts {
        assert!(*usd > 0.0, "{front} costs nothing: {report:#}");
    }
    // Five Lambda requests behind every front.
    for front in report["fronts"].as_array().unwrap() {
        let items: Vec<&str> = front["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["item"].as_str().unwrap())
            .collect();
        assert!(items.contains(&"Lambda requests (5)"), "{items:?}");
    }
    assert_eq!(report["warnings"], serde_json::json!([]));
    assert!(
        report["notes"]
            .as_array()
            .unwrap()
            .contains(&"free tiers not applied".into())
    );

    // The table for people, cheapest first.
    let out = portico(&["cost", "--admin", &admin]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.starts_with("What the 5 request(s) Portico served"),
        "{table}"
    );
    assert!(
        table.contains("No route would break AWS's limits."),
        "{table}"
    );

    // The printed default table, passed back as a file, gives the same estimate.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prices.yaml");
    let printed = portico(&["cost", "--print-prices"]);
    assert!(printed.status.success());
    std::fs::write(&file, &printed.stdout).unwrap();
    let out = portico(&[
        "cost",
        "--admin",
        &admin,
        "--json",
        "--prices",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let again: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(again["fronts"][0]["lines"], report["fronts"][0]["lines"]);
    assert_eq!(again["requests"], 5);
}

#[test]
fn cost_says_when_no_admin_listener_answers() {
    let admin = closed_admin();
    let out = portico(&["cost", "--admin", &admin]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "no Portico admin listener answers at {admin}: connection refused. Start `portico serve` first, or pass --admin"
        )),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn cost_reports_a_broken_price_file_with_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prices.yaml");
    let printed = portico(&["cost", "--print-prices"]);
    let table = text(&printed.stdout).replace("  lcu_hour: 0.008", "  lcu_hours: 0.008");
    let line = table
        .lines()
        .position(|l| l == "  lcu_hours: 0.008")
        .unwrap()
        + 1;
    std::fs::write(&file, table).unwrap();
    let path = file.display().to_string();
    // The price file is read before any server is asked.
    let out = portico(&["cost", "--prices", &path, "--admin", &closed_admin()]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("{path}:{line}:3: unknown field `lcu_hours`")),
        "{stderr}"
    );
    assert!(stderr.contains("--print-prices"), "{stderr}");
}

#[test]
fn the_printed_price_table_reads_back_through_prices() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prices.yaml");
    let printed = portico(&["cost", "--print-prices"]);
    assert!(printed.status.success());
    let table = text(&printed.stdout);
    assert!(table.contains("Free tiers are NOT applied"), "{table}");
    std::fs::write(&file, &table).unwrap();
    // Read without complaint: what fails next is the server, not the file.
    let admin = closed_admin();
    let out = portico(&[
        "cost",
        "--prices",
        file.to_str().unwrap(),
        "--admin",
        &admin,
    ]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("no Portico admin listener answers at {admin}")),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_dashboard_prices_the_traffic_with_the_configs_price_table() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prices.yaml");
    let printed = portico(&["cost", "--print-prices"]);
    let table = text(&printed.stdout);
    let rest = "  requests_per_million: 3.50\n";
    assert_eq!(table.matches(rest).count(), 1, "{table}");
    // A REST API a thousand times dearer than AWS's.
    std::fs::write(&file, table.replace(rest, "  requests_per_million: 3500\n")).unwrap();
    let p = Portico::start(&format!(
        "admin: {{prices: \"{}\"}}\nfunctions:\n  echo: {{runtime: python3.12, handler: app.echo_proxy, code: \"@fixtures/python\", url: {{}}}}\n",
        file.display()
    ));
    for _ in 0..4 {
        assert_eq!(p.get("echo", "/").await.status(), 200);
    }
    let admin = p.admin.expect("the admin listener is printed");
    let report: serde_json::Value = reqwest::get(format!("http://{admin}/api/cost"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["requests"], 4, "{report:#}");
    let front = |name: &str| {
        report["fronts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["front"] == name)
            .unwrap_or_else(|| panic!("no {name} in {report:#}"))
    };
    let requests = front("rest_api")["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["item"] == "API requests (4)")
        .expect("the REST API's request line")["usd"]
        .as_f64()
        .unwrap();
    assert!((requests - 4.0 * 3500.0 / 1e6).abs() < 1e-9, "{report:#}");
    assert!(front("http_api")["usd"].as_f64().unwrap() < requests);
}
