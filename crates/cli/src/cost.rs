//! `portico cost`: asks a running `portico serve` what it has served (`GET /usage` on its
//! admin listener) and prints what the same traffic would cost on AWS behind each front door,
//! and which routes would break AWS's limits there.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use http_body_util::BodyExt;
use portico_cost::{Prices, Usage};

/// How long the admin listener has to answer.
const PATIENCE: Duration = Duration::from_secs(10);

/// `portico cost`'s options.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The admin listener of the running `portico serve` (its start-up banner prints it).
    #[arg(long, default_value = "http://127.0.0.1:9000")]
    admin: String,
    /// A price table to use instead of the default (us-east-1): save the default with
    /// --print-prices, edit it, and pass it here.
    #[arg(long, value_name = "FILE")]
    prices: Option<PathBuf>,
    /// Print the default price table, every field documented, and exit.
    #[arg(long)]
    print_prices: bool,
    /// Print the estimate as JSON (what the dashboard's cost panel reads).
    #[arg(long)]
    json: bool,
}

/// Runs `portico cost`.
pub(crate) async fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.print_prices {
        print!("{}", portico_cost::DEFAULT_TABLE);
        return Ok(ExitCode::SUCCESS);
    }
    // The price file first: a broken one is reported without a server.
    let prices = prices(args.prices.as_deref())?;
    // `127.0.0.1:9000` means the same as `http://127.0.0.1:9000`.
    let admin = match args.admin.trim_end_matches('/') {
        a if a.contains("://") => a.to_string(),
        a => format!("http://{a}"),
    };
    let admin = admin.as_str();
    let usage = fetch_usage(admin).await?;
    let report = portico_cost::estimate(&usage, &prices);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if report.requests == 0 && report.invoke_api.requests == 0 {
        println!(
            "Portico at {admin} has served no requests yet: send it some traffic, then run `portico cost` again."
        );
    } else {
        print!("{}", portico_cost::render_text(&report));
    }
    Ok(ExitCode::SUCCESS)
}

/// The price table in `path`, or the default one.
pub(crate) fn prices(path: Option<&std::path::Path>) -> anyhow::Result<Prices> {
    let Some(path) = path else {
        return Ok(Prices::default_table());
    };
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the price table {}; save the default one with `portico cost --print-prices > prices.yaml`",
            path.display()
        )
    })?;
    Prices::from_yaml(&text, &path.display().to_string()).map_err(anyhow::Error::msg)
}

/// `GET <admin>/usage`, read as [`Usage`].
async fn fetch_usage(admin: &str) -> anyhow::Result<Usage> {
    let url = format!("{admin}/usage");
    let uri: hyper::Uri = url.parse().ok().filter(|u: &hyper::Uri| u.scheme_str() == Some("http") && u.host().is_some()).with_context(|| {
        format!("--admin {admin} is not an admin listener's address: write it as http://HOST:PORT, as `portico serve` prints it")
    })?;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<hyper::body::Bytes>>();
    let not_there = |cause: String| {
        anyhow::anyhow!(
            "no Portico admin listener answers at {admin}: {cause}. Start `portico serve` first, or pass --admin with the address it printed"
        )
    };
    let asked = async {
        let response = client.get(uri).await.map_err(|e| not_there(cause(&e)))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| not_there(cause(&e)))?
            .to_bytes();
        Ok::<_, anyhow::Error>((status, body))
    };
    let (status, body) = tokio::time::timeout(PATIENCE, asked)
        .await
        .map_err(|_| not_there(format!("no answer within {} s", PATIENCE.as_secs())))??;
    if !status.is_success() {
        anyhow::bail!(
            "{url} answered {status}, not the usage: is --admin the admin listener of a `portico serve` as recent as this command (not its public port)?"
        );
    }
    serde_json::from_slice(&body).map_err(|e| {
        anyhow::anyhow!(
            "{url} did not answer with Portico's usage ({e}): is --admin the admin listener of a `portico serve` as recent as this command (not its public port)?"
        )
    })
}

/// Why a request failed, in a few words: the IO error at the bottom when there is one
/// (`connection refused`), else the deepest cause.
fn cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut deepest = error;
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
                _ => io.to_string(),
            };
        }
        deepest = e;
        current = e.source();
    }
    deepest.to_string()
}
