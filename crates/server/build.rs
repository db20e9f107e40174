//! Makes the dashboard's front-end assets available to `include_bytes!` (see
//! `src/dashboard.rs`): our own files come from `dashboard/src`, uPlot from
//! `dashboard/node_modules`, which this runs `npm ci` to fill when it is missing and npm is
//! on PATH. Without npm the build still succeeds, with a warning, and the dashboard page says
//! how to fix it.

use std::path::Path;
use std::process::Command;

/// The uPlot files the dashboard serves, in `dashboard/node_modules/uplot/dist`.
const UPLOT: &[&str] = &["uPlot.iife.min.js", "uPlot.min.css"];

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dashboard = Path::new(&manifest).join("../../dashboard");
    for watched in ["src", "package.json", "package-lock.json"] {
        println!(
            "cargo:rerun-if-changed={}",
            dashboard.join(watched).display()
        );
    }
    // npm rewrites this on every install: rerun once someone installs the assets by hand.
    println!(
        "cargo:rerun-if-changed={}",
        dashboard.join("node_modules/.package-lock.json").display()
    );
    let dist = dashboard.join("node_modules/uplot/dist");
    println!("cargo:rustc-check-cfg=cfg(dashboard_assets)");

    let built = || UPLOT.iter().all(|f| dist.join(f).is_file());
    if !built()
        && let Err(why) = npm_ci(&dashboard)
    {
        println!(
            "cargo:warning=the dashboard's assets were not built ({why}): install Node.js \
             and npm, then run `npm ci` in dashboard/ (or just rebuild)"
        );
    }
    if built() {
        println!("cargo:rustc-cfg=dashboard_assets");
        println!("cargo:rustc-env=PORTICO_UPLOT_DIST={}", dist.display());
    }
}

/// Runs `npm ci` in `dir`; says why it could not.
fn npm_ci(dir: &Path) -> Result<(), String> {
    let output = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
    Err(format!(
        "`npm ci` in dashboard/ failed with {}: {}",
        output.status,
        last.unwrap_or("no message")
    ))
}
