//! Makes the dashboard's front-end assets available to `include_bytes!` (see
//! `src/dashboard.rs`): our own files come from `dashboard/src`, uPlot from
//! `dashboard/node_modules`, which this runs `npm ci` to fill when it is missing or older than
//! `dashboard/package-lock.json` and npm is on PATH. Without npm the build still succeeds,
//! with a warning, and the dashboard page says how to fix it.

use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

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
    // An install older than the lock file (a pull that changed the versions) is redone too.
    let installed = modified(&dashboard.join("node_modules/.package-lock.json"));
    let stale = installed < modified(&dashboard.join("package-lock.json"));
    if (!built() || stale)
        && let Err(why) = npm_ci(&dashboard)
    {
        let fix = "install Node.js and npm, then run `npm ci` in dashboard/ (or just rebuild)";
        if built() {
            println!(
                "cargo:warning=the dashboard's assets could not be brought up to date with \
                 dashboard/package-lock.json ({why}); building with the older ones: {fix}"
            );
        } else {
            println!("cargo:warning=the dashboard's assets were not built ({why}): {fix}");
        }
    }
    if built() {
        println!("cargo:rustc-cfg=dashboard_assets");
        println!("cargo:rustc-env=PORTICO_UPLOT_DIST={}", dist.display());
    }
}

/// When `path` was last modified; `None` when it is missing.
fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
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
