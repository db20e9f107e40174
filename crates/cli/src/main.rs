//! `portico`: run unmodified AWS Lambda functions behind Function URLs and the Lambda
//! Invoke API, on any machine.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use portico_config::Config;
use portico_runtime::{InvokeRequest, Outcome, Runtime};

mod cost;

/// Run AWS Lambda functions locally, wire-compatible with AWS: Function URLs (buffered and
/// streaming) and the Lambda Invoke API that the AWS CLI and SDKs call.
#[derive(Parser)]
#[command(
    name = "portico",
    version,
    about,
    long_about = None,
    after_help = "Examples:\n  portico serve examples/quickstart/portico.yaml\n  portico invoke hello --payload '{\"name\": \"Ada\"}'\n  aws lambda invoke --endpoint-url http://127.0.0.1:3000 --function-name hello out.json\n\nEnvironment:\n  RUST_LOG  log level and filters (default info; warn hides per-request lines)\n  OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT  where `serve` exports spans when neither --otlp-endpoint nor the config says\n  OTEL_EXPORTER_OTLP_HEADERS  headers sent with exported spans (key=value,...)\n  OTEL_SERVICE_NAME  the spans' service.name (default portico)\n\nThe config file is documented in the README."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// How Portico writes its log (request lines, instances, warnings) to standard error:
    /// `text` to read (coloured on a terminal), or `json`, one object a line with every
    /// field (request_id, method, path, status, duration_ms, route, function, cold_start_ms).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every function of the config: its Function URL and the Invoke API, on one port.
    Serve {
        /// The config file: a portico.yaml, or a SAM or CloudFormation template. Default:
        /// ./portico.yaml, else ./template.yaml, ./template.yml or ./template.json.
        config: Option<PathBuf>,
        #[command(flatten)]
        template: TemplateArgs,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:3000")]
        listen: SocketAddr,
        /// Address of the admin listener: /metrics (Prometheus), /healthz, /readyz,
        /// /routes; `off` for none, and no metrics kept. Default: the config's `admin.listen`,
        /// else 127.0.0.1:9000 (when that port is taken, Portico serves without it).
        #[arg(long, value_parser = admin_address)]
        admin_listen: Option<AdminAddress>,
        /// Export every request's spans (the request, its phases, the function invocation)
        /// to this OpenTelemetry collector over OTLP/HTTP, e.g. http://127.0.0.1:4318
        /// (spans go to <URL>/v1/traces). Default: the config's `tracing.otlp_endpoint`, else
        /// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT if set, else none.
        #[arg(long, value_name = "URL")]
        otlp_endpoint: Option<String>,
        /// Seconds before the first retry of a failed asynchronous (Event) invocation; the
        /// second waits twice as long. Lambda waits about 60.
        #[arg(long, default_value_t = 60)]
        async_retry_delay: u64,
        /// Reload when the config (or template), a file in its folder or a function's code
        /// changes: the functions get new instances (started on their next request) and the
        /// routes are swapped at once, while in-flight requests finish on the old ones; a
        /// broken change is reported and the previous version goes on serving.
        #[arg(long)]
        watch: bool,
    },
    /// Check a config file and report every problem with its line and column.
    Validate {
        /// The config file: a portico.yaml, or a SAM or CloudFormation template. Default:
        /// ./portico.yaml, else ./template.yaml, ./template.yml or ./template.json.
        config: Option<PathBuf>,
        #[command(flatten)]
        template: TemplateArgs,
    },
    /// Invoke a function once, without a server, and print its result.
    Invoke {
        /// The function's name in the config.
        function: String,
        /// The event: JSON text, or @file to read it from a file.
        #[arg(long, default_value = "{}")]
        payload: String,
        /// The config file: a portico.yaml, or a SAM or CloudFormation template. Default:
        /// ./portico.yaml, else ./template.yaml, ./template.yml or ./template.json.
        #[arg(long)]
        config: Option<PathBuf>,
        #[command(flatten)]
        template: TemplateArgs,
    },
    /// List every URL `portico serve` would serve.
    Routes {
        /// The config file: a portico.yaml, or a SAM or CloudFormation template. Default:
        /// ./portico.yaml, else ./template.yaml, ./template.yml or ./template.json.
        config: Option<PathBuf>,
        #[command(flatten)]
        template: TemplateArgs,
        /// Address `serve` would listen on.
        #[arg(long, default_value = "127.0.0.1:3000")]
        listen: SocketAddr,
    },
    /// Print the portico.yaml that a SAM or CloudFormation template is served as (what
    /// `portico serve TEMPLATE` serves), to read or keep.
    #[command(
        after_help = "Examples:\n  portico import template.yaml > portico.yaml\n  portico import cdk.out/AppStack.template.json --parameter-overrides Stage=dev"
    )]
    Import {
        /// The template. Default: ./template.yaml, else ./template.yml or ./template.json.
        template_file: Option<PathBuf>,
        #[command(flatten)]
        template: TemplateArgs,
    },
    /// Estimate what the traffic a running `portico serve` has served would cost on AWS
    /// behind a REST API, an HTTP API, a Function URL and an ALB (free tiers not applied),
    /// and list the routes that would break AWS's limits there (29 s, 10 MB, 6 MB, 1 MB).
    #[command(
        after_help = "Examples:\n  portico cost\n  portico cost --admin http://127.0.0.1:9100 --json\n  portico cost --print-prices > prices.yaml   # edit it, then:\n  portico cost --prices prices.yaml"
    )]
    Cost(cost::Args),
}

/// How a SAM or CloudFormation template is read.
#[derive(clap::Args)]
struct TemplateArgs {
    /// For a template: parameter values, and values for references Portico cannot resolve
    /// (a table's `Ref`, `Table.Arn`, an `Fn::ImportValue` export), as `sam` takes them:
    /// `Key=Value` (several, or several in one quoted argument) or
    /// `ParameterKey=Key,ParameterValue=Value`.
    #[arg(long, value_name = "KEY=VALUE", num_args = 1..)]
    parameter_overrides: Vec<String>,
    /// For a template: a local folder standing in for a layer the template names by ARN
    /// (laid out as the layer is: python/, nodejs/node_modules/, bin/); the ARN may leave
    /// out its version. Repeat for several.
    #[arg(long, value_name = "ARN=DIR")]
    layer: Vec<String>,
}

impl TemplateArgs {
    fn options(&self) -> anyhow::Result<portico_config::TemplateOptions> {
        let mut options = portico_config::TemplateOptions::default();
        for pair in self
            .parameter_overrides
            .iter()
            .flat_map(|a| a.split_whitespace())
        {
            let (key, value) = match pair.strip_prefix("ParameterKey=") {
                Some(rest) => rest.split_once(",ParameterValue=").ok_or_else(|| {
                    anyhow::anyhow!("`{pair}` is not ParameterKey=Key,ParameterValue=Value")
                })?,
                None => pair.split_once('=').ok_or_else(|| {
                    anyhow::anyhow!(
                        "`{pair}` is not Key=Value: write --parameter-overrides {pair}=value"
                    )
                })?,
            };
            options
                .parameter_overrides
                .insert(key.to_string(), value.to_string());
        }
        for pair in &self.layer {
            let (arn, dir) = pair.split_once('=').ok_or_else(|| {
                anyhow::anyhow!("`{pair}` is not ARN=DIR: write --layer arn:aws:lambda:...:layer:name:1=./folder")
            })?;
            let dir = std::path::absolute(dir)
                .with_context(|| format!("cannot make `{dir}` an absolute path"))?;
            options.layers.insert(arn.to_string(), dir);
        }
        Ok(options)
    }
}

/// The config to read: the one named, else the first of `portico.yaml`, `template.yaml`,
/// `template.yml` and `template.json` in the current folder (as `sam` looks for templates).
fn find_config(named: Option<PathBuf>, candidates: &[&str]) -> anyhow::Result<PathBuf> {
    if let Some(path) = named {
        return Ok(path);
    }
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no config here: looked for {} in {}\n  help: name the file, e.g. `portico serve path/to/template.yaml`",
                candidates.join(", "),
                std::env::current_dir().map_or_else(|_| ".".into(), |d| d.display().to_string())
            )
        })
}

const CONFIG_FILES: &[&str] = &[
    "portico.yaml",
    "template.yaml",
    "template.yml",
    "template.json",
];

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Log lines are written by a background thread, off the request path, all those waiting
    // in one write (never dropped: a full queue makes the logger wait); the flusher writes
    // what is left when `main` returns.
    let (writer, _flush_on_exit) =
        match portico_observe::batched::batched(std::io::stderr(), "log-writer") {
            Ok(pair) => pair,
            Err(e) => {
                eprintln!("error: cannot start the log writer thread: {e}");
                return ExitCode::FAILURE;
            }
        };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let logger = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(move || writer.clone());
    use portico_gateway::phases::record::{LineStyle, request_lines};
    match cli.log_format {
        LogFormat::Json => {
            request_lines(LineStyle::Fields);
            logger.json().flatten_event(true).init();
        }
        LogFormat::Text => {
            request_lines(if terminal {
                LineStyle::Coloured
            } else {
                LineStyle::Plain
            });
            logger.with_ansi(terminal).init();
        }
    }
    let result = match cli.command {
        Command::Validate { config, template } => (|| {
            let config = find_config(config, CONFIG_FILES)?;
            let c = load(&config, &template)?;
            portico_gateway::check(&c).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "{}: {} function(s), {} API(s), no problems",
                config.display(),
                c.functions.len(),
                c.apis.len() + c.rest_apis.len()
            );
            Ok(ExitCode::SUCCESS)
        })(),
        Command::Routes {
            config,
            template,
            listen,
        } => find_config(config, CONFIG_FILES)
            .and_then(|config| load(&config, &template))
            .map(|c| {
                print_routes(&c, listen);
                ExitCode::SUCCESS
            }),
        Command::Serve {
            config,
            template,
            listen,
            admin_listen,
            otlp_endpoint,
            async_retry_delay,
            watch,
        } => find_config(config, CONFIG_FILES).and_then(|config| {
            let mut loaded = load(&config, &template)?;
            build_functions(&mut loaded)?;
            provide_sdks(&mut loaded)?;
            let options = ServeOptions {
                listen,
                admin_listen,
                otlp_endpoint,
                async_retry_delay: Duration::from_secs(async_retry_delay),
                watch: watch.then_some(template),
            };
            runtime()?.block_on(serve((config, loaded), options))
        }),
        Command::Invoke {
            function,
            payload,
            config,
            template,
        } => find_config(config, CONFIG_FILES).and_then(|config| {
            let mut config = load(&config, &template)?;
            build_functions(&mut config)?;
            provide_sdks(&mut config)?;
            runtime()?.block_on(invoke(&config, &function, &payload))
        }),
        Command::Import {
            template_file,
            template,
        } => {
            find_config(template_file, &CONFIG_FILES[1..]).and_then(|path| import(&path, &template))
        }
        Command::Cost(args) => runtime().and_then(|rt| rt.block_on(cost::run(args))),
    };
    result.unwrap_or_else(|e| {
        eprintln!("error: {e:#}");
        ExitCode::FAILURE
    })
}

/// What in a valid config cannot be served (a mapping template that does not parse).
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn load(path: &Path, template: &TemplateArgs) -> anyhow::Result<Config> {
    // The config error already names the file, line and column.
    let config = portico_config::load_with(path, &template.options()?)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for warning in &config.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(config)
}

/// Builds the functions whose config asks for it, as `sam build` would, into
/// `.portico/build/` beside the config (reused while their code is unchanged), and runs them
/// from there. Each step is printed as it starts.
fn build_functions(config: &mut Config) -> anyhow::Result<()> {
    use portico_config::Build;
    let cache = config.dir.join(".portico/build");
    for function in config.functions.values_mut() {
        let Some(build) = &function.build else {
            continue;
        };
        let method = match build {
            Build::Pip => portico_build::Method::Pip,
            Build::Npm => portico_build::Method::Npm,
            Build::Makefile => portico_build::Method::Makefile,
            Build::CargoLambda { binary } => portico_build::Method::CargoLambda {
                binary: binary.clone(),
            },
        };
        let job = portico_build::Job {
            function: &function.name,
            code: &function.code,
            runtime: &function.runtime_name,
            method,
        };
        let progress = |function: &str, step: &str| eprintln!("build {function}: {step}");
        function.code = portico_build::build(&job, &cache, &progress)
            .map_err(|e| anyhow::anyhow!("cannot build function `{}`: {e}", function.name))?;
    }
    Ok(())
}

/// The AWS SDK for functions that import it without bundling it, as Lambda's runtimes ship
/// it (boto3; the `@aws-sdk/*` packages the code names): installed once per machine into
/// Portico's cache, and put after the function's code and layers.
fn provide_sdks(config: &mut Config) -> anyhow::Result<()> {
    let cache = machine_cache(config).join("sdk");
    for function in config.functions.values_mut() {
        // Layers of registry packages (a public layer such as Powertools), before the folders.
        let mut installed = Vec::new();
        for (registry, packages) in package_layers(&function.package_layers) {
            let progress = |_: &str, step: &str| {
                eprintln!("layer {} for {}: {step}", packages.join(" "), function.name)
            };
            let layer = portico_build::sdk::install_layer(
                &function.runtime_name,
                registry,
                &packages,
                &cache,
                &progress,
            )
            .map_err(|e| anyhow::anyhow!("cannot install the layer of `{}`: {e}", function.name))?;
            installed.push(layer);
        }
        function.layers.splice(0..0, installed);
        let Some(sdk) = portico_build::sdk::wanted(&function.runtime_name, &function.code) else {
            continue;
        };
        let progress = |_: &str, step: &str| eprintln!("AWS SDK for {}: {step}", function.name);
        let folder = portico_build::sdk::install(&function.runtime_name, &sdk, &cache, &progress)
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot install the AWS SDK that function `{}` imports: {e}\n  help: bundle it with the function (requirements.txt or package.json) to run without it",
                    function.name
                )
            })?;
        function.sdk = Some(folder);
    }
    Ok(())
}

/// A function's package layers, one per registry.
fn package_layers(
    layers: &[portico_config::PackageLayer],
) -> Vec<(portico_build::sdk::Registry, Vec<String>)> {
    use portico_build::sdk::Registry;
    use portico_config::PackageLayer;
    let mut by_registry: Vec<(Registry, Vec<String>)> = Vec::new();
    for layer in layers {
        let (registry, package) = match layer {
            PackageLayer::Pypi(p) => (Registry::Pypi, p),
            PackageLayer::Npm(p) => (Registry::Npm, p),
        };
        match by_registry.iter_mut().find(|(r, _)| *r == registry) {
            Some((_, packages)) => packages.push(package.clone()),
            None => by_registry.push((registry, vec![package.clone()])),
        }
    }
    by_registry
}

/// TLS on Portico's port, by its local certificate authority (made once per machine in
/// Portico's cache).
struct LocalTls {
    settings: portico_server::tls::Settings,
    /// The authority's certificate file, to trust.
    ca: PathBuf,
    /// What makes functions' SDKs trust it: `NODE_EXTRA_CA_CERTS` (Node) and
    /// `AWS_CA_BUNDLE` (boto3, the AWS CLI: a bundle of the authority and the CA
    /// certificates the SDK would trust otherwise, so real AWS endpoints still verify).
    trust: Vec<(String, String)>,
}

/// Portico's TLS; none (Portico serves plain HTTP only, and says why) when the authority
/// cannot be kept (its folder cannot be written, say).
fn local_tls(config: &Config, work: &WorkDir) -> Option<LocalTls> {
    let dir = machine_cache(config).join("tls");
    let made = portico_server::tls::LocalCa::load_or_create(&dir).and_then(|ca| {
        let ca_path = ca.cert_path.clone();
        let mut trust = vec![(
            "NODE_EXTRA_CA_CERTS".to_string(),
            ca_path.display().to_string(),
        )];
        // `AWS_CA_BUNDLE` replaces the SDK's own roots: the authority joins the bundle
        // Portico's environment names, else the system's; with neither, boto3 keeps its own
        // roots (and calls to Portico over https are refused).
        let others = std::env::var_os("AWS_CA_BUNDLE")
            .map(PathBuf::from)
            .into_iter()
            .chain(SYSTEM_CA_BUNDLES.iter().map(PathBuf::from))
            .find_map(|path| std::fs::read_to_string(path).ok());
        match others {
            Some(others) => {
                std::fs::create_dir_all(&work.0)?;
                let bundle_path = work.0.join("ca-bundle.pem");
                std::fs::write(&bundle_path, format!("{}\n{others}", ca.cert_pem()))?;
                trust.push(("AWS_CA_BUNDLE".to_string(), bundle_path.display().to_string()));
            }
            None => tracing::warn!(
                "no CA certificate bundle found ({}): functions' boto3 clients will not trust Portico's https:// (http:// works)",
                SYSTEM_CA_BUNDLES.join(", ")
            ),
        }
        Ok(LocalTls {
            settings: ca.server_config()?,
            ca: ca_path,
            trust,
        })
    });
    made.map_err(|e| {
        tracing::warn!(
            "serving http:// only: cannot keep a local certificate authority in {}: {e}",
            dir.display()
        )
    })
    .ok()
}

/// Where systems keep their CA certificates in one file: Debian, Ubuntu and Alpine; Fedora
/// and RHEL; macOS and the BSDs; openSUSE.
const SYSTEM_CA_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
    "/etc/ssl/ca-bundle.pem",
];

/// Where Portico keeps what it installs for every project on this machine:
/// `$PORTICO_CACHE`, else `$XDG_CACHE_HOME/portico`, else `~/.cache/portico`, else
/// `.portico/` beside the config.
fn machine_cache(config: &Config) -> PathBuf {
    let env = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("PORTICO_CACHE")
        .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("portico")))
        .or_else(|| env("HOME").map(|d| d.join(".cache/portico")))
        .unwrap_or_else(|| config.dir.join(".portico"))
}

/// What every config served in turn shares: where the gateway hands what it records, the
/// open WebSocket connections (which outlive a reload), and the environment variables that
/// make functions' SDKs trust Portico's TLS certificates.
struct Recorders {
    observatory: Option<Arc<portico_observe::Observatory>>,
    tracer: Option<Arc<portico_observe::otlp::Tracer>>,
    websockets: Arc<portico_gateway::doors::websocket::Hub>,
    trust: Vec<(String, String)>,
}

/// What `config` serves at `addr`: its functions' runtime and the gateway in front of them,
/// made the same way at start and at each reload. Functions get the endpoints the config
/// names and Portico's own for Lambda, unless their environment or Portico's says otherwise.
fn served(
    config: &mut Config,
    addr: SocketAddr,
    work: &WorkDir,
    async_retry_delay: Duration,
    recorders: &Recorders,
) -> Result<portico_server::Served, String> {
    // The SDKs' endpoint variables exported to Portico win over the config's; Portico's
    // environment is not the functions' otherwise.
    let mut endpoints = config.endpoint_variables(&format!("http://{addr}"));
    endpoints.retain(|(name, _)| std::env::var_os(name).is_none());
    endpoints.extend(std::env::vars().filter(|(name, _)| name.starts_with("AWS_ENDPOINT_URL")));
    endpoints.extend(recorders.trust.iter().cloned());
    for function in config.functions.values_mut() {
        for (name, url) in &endpoints {
            function
                .environment
                .entry(name.clone())
                .or_insert_with(|| url.clone());
        }
    }
    let runtime =
        Arc::new(start_runtime(config, work, async_retry_delay).map_err(|e| format!("{e:#}"))?);
    let mut gateway =
        portico_gateway::Gateway::new(config, runtime, addr.port()).map_err(|e| e.to_string())?;
    if let Some(observatory) = &recorders.observatory {
        gateway.observe(observatory.clone());
    }
    if let Some(tracer) = &recorders.tracer {
        gateway.trace(tracer.clone());
    }
    gateway.join(recorders.websockets.clone());
    Ok(portico_server::Served {
        gateway: Arc::new(gateway),
        routes: portico_server::routes::routes(config, addr),
    })
}

/// `serve --watch`: reloads when the config, a file it names or a function's code changes.
struct Reload {
    config_path: PathBuf,
    template: TemplateArgs,
    addr: SocketAddr,
    work: WorkDir,
    async_retry_delay: Duration,
    recorders: Recorders,
    publish: tokio::sync::watch::Sender<Arc<portico_server::Served>>,
}

/// How long the files must be quiet after a change before Portico reloads (an editor's save
/// or a `git checkout` is many events).
const SETTLE: Duration = Duration::from_millis(300);

/// Folders whose changes are Portico's own doing or tools' caches, never a reason to reload.
const NOT_WATCHED: &[&str] = &[
    ".portico",
    ".git",
    "node_modules",
    "__pycache__",
    "target",
    ".venv",
];

impl Reload {
    async fn run(self, mut config: Config) {
        let (changed, mut changes) = tokio::sync::mpsc::unbounded_channel::<PathBuf>();
        let mut watcher =
            match notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                for path in event.map(|e| e.paths).unwrap_or_default() {
                    let _ = changed.send(path);
                }
            }) {
                Ok(watcher) => watcher,
                Err(e) => {
                    tracing::warn!("cannot watch for changes: {e}; serving without --watch");
                    return;
                }
            };
        let mut watched = Vec::new();
        loop {
            watched = self.watch(&mut watcher, &config, watched);
            // Wait for a change that matters, then for quiet.
            loop {
                let Some(path) = changes.recv().await else {
                    return;
                };
                if relevant(&path) {
                    break;
                }
            }
            while let Ok(Some(_)) = tokio::time::timeout(SETTLE, changes.recv()).await {}
            match self.reload().await {
                Ok(next) => config = next,
                Err(e) => tracing::warn!("not reloaded, still serving the previous version: {e}"),
            }
        }
    }

    /// Watches the config's folder and every function's code and layers outside it; returns
    /// what is watched now (what was watched before and is no more is let go).
    fn watch(
        &self,
        watcher: &mut notify::RecommendedWatcher,
        config: &Config,
        before: Vec<PathBuf>,
    ) -> Vec<PathBuf> {
        use notify::Watcher;
        let mut wanted = vec![config.dir.clone()];
        for function in config.functions.values() {
            for folder in std::iter::once(&function.code).chain(&function.layers) {
                // A build's output is not the source; the source is under the config's folder
                // or named as code in the config read again.
                if !folder.starts_with(&config.dir) && !wanted.contains(folder) {
                    wanted.push(folder.clone());
                }
            }
        }
        for old in before.iter().filter(|f| !wanted.contains(f)) {
            let _ = watcher.unwatch(old);
        }
        for folder in wanted.iter().filter(|f| !before.contains(f)) {
            if let Err(e) = watcher.watch(folder, notify::RecursiveMode::Recursive) {
                tracing::warn!("cannot watch {}: {e}", folder.display());
            }
        }
        wanted
    }

    /// Reads, builds and starts the config again, then serves it; the previous one's
    /// instances stop once its in-flight requests are answered.
    async fn reload(&self) -> Result<Config, String> {
        let path = self.config_path.clone();
        let options = self.template.options().map_err(|e| e.to_string())?;
        let mut config = tokio::task::spawn_blocking(move || {
            let mut config =
                portico_config::load_with(&path, &options).map_err(|e| e.to_string())?;
            build_functions(&mut config).map_err(|e| format!("{e:#}"))?;
            provide_sdks(&mut config).map_err(|e| format!("{e:#}"))?;
            Ok::<_, String>(config)
        })
        .await
        .map_err(|e| e.to_string())??;
        for warning in &config.warnings {
            tracing::warn!("{warning}");
        }
        let served = served(
            &mut config,
            self.addr,
            &self.work,
            self.async_retry_delay,
            &self.recorders,
        )?;
        let previous = self.publish.send_replace(Arc::new(served));
        tracing::info!(
            "reloaded {}: {} function(s), {} API(s)",
            self.config_path.display(),
            config.functions.len(),
            config.apis.len() + config.rest_apis.len()
        );
        tokio::spawn(retire(previous));
        Ok(config)
    }
}

/// Whether a change at `path` may change what is served.
fn relevant(path: &Path) -> bool {
    !path.components().any(|c| {
        let name = c.as_os_str().to_string_lossy();
        NOT_WATCHED.contains(&name.as_ref())
    }) && !path.extension().is_some_and(|e| e == "pyc" || e == "swp")
}

/// Stops the instances of what was served before a reload, once no request holds it and
/// no invocation of its runtime is on its way (a WebSocket message's, which holds the
/// runtime rather than what was served).
async fn retire(previous: Arc<portico_server::Served>) {
    let mut idle = tokio::time::interval(Duration::from_millis(50));
    while Arc::strong_count(&previous) > 1 || Arc::strong_count(previous.gateway.runtime()) > 1 {
        idle.tick().await;
    }
    previous.gateway.runtime().shutdown().await;
}

/// A work folder for this process (bootstraps), removed when dropped.
struct WorkDir(PathBuf);

impl WorkDir {
    fn new() -> WorkDir {
        WorkDir(std::env::temp_dir().join(format!("portico-{}", std::process::id())))
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn start_runtime(
    config: &Config,
    work: &WorkDir,
    async_retry_delay: Duration,
) -> anyhow::Result<Runtime> {
    let options = portico_runtime::Options {
        work_dir: work.0.clone(),
        async_retry_delay,
    };
    let (runtime, warnings) =
        Runtime::new(config, options).context("cannot prepare the functions")?;
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    Ok(runtime)
}

/// The admin listener's address unless `--admin-listen` or the config names another.
const DEFAULT_ADMIN: &str = "127.0.0.1:9000";

/// `--admin-listen`: an address, or `off` (`None`).
#[derive(Debug, Clone, Copy)]
struct AdminAddress(Option<SocketAddr>);

fn admin_address(text: &str) -> Result<AdminAddress, String> {
    match text {
        "off" => Ok(AdminAddress(None)),
        addr => addr
            .parse()
            .map(|a| AdminAddress(Some(a)))
            .map_err(|_| format!("`{addr}` is not host:port or off")),
    }
}

/// The admin listener, bound: where the flag or the config says, else the default port if
/// it is free. `None`: no admin listener, and no metrics recorded.
async fn admin_listener(
    flag: Option<Option<SocketAddr>>,
    config: Option<Option<SocketAddr>>,
) -> anyhow::Result<Option<tokio::net::TcpListener>> {
    match flag.or(config) {
        Some(None) => Ok(None),
        Some(Some(addr)) => {
            let bound = tokio::net::TcpListener::bind(addr).await;
            Ok(Some(bound.with_context(|| {
                format!("cannot listen on {addr} for the admin endpoints; pick another with --admin-listen")
            })?))
        }
        None => match tokio::net::TcpListener::bind(DEFAULT_ADMIN).await {
            Ok(listener) => Ok(Some(listener)),
            Err(e) => {
                eprintln!(
                    "warning: no admin listener ({DEFAULT_ADMIN}: {e}); pick an address with --admin-listen"
                );
                Ok(None)
            }
        },
    }
}

/// The span exporter, if the flag, the config or the environment names a collector (in
/// that order), and the traces URL it sends to.
fn tracer(
    flag: Option<&str>,
    config: Option<&portico_config::Tracing>,
) -> anyhow::Result<Option<(Arc<portico_observe::otlp::Tracer>, String)>> {
    use portico_observe::otlp::traces_url;
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let (url, shown) = match (
        flag.or(config.map(|c| c.otlp_endpoint.as_str())),
        from_env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
        from_env("OTEL_EXPORTER_OTLP_ENDPOINT"),
    ) {
        (Some(base), _, _) => (Some(traces_url(base)), traces_url(base)),
        (None, Some(url), _) => (None, url),
        (None, None, Some(base)) => (None, traces_url(&base)),
        (None, None, None) => return Ok(None),
    };
    let service = config
        .and_then(|c| c.service_name.clone())
        .or_else(|| from_env("OTEL_SERVICE_NAME"))
        .unwrap_or_else(|| "portico".to_string());
    let connector = portico_gateway::client::connector();
    let tracer = portico_observe::otlp::Tracer::start(url.as_deref(), &service, connector)
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot export spans to {shown}: {e}; give the collector's base URL, as --otlp-endpoint http://127.0.0.1:4318"
            )
        })?;
    Ok(Some((
        Arc::new(tracer),
        format!("{shown} (service.name {service})"),
    )))
}

/// How long spans still waiting may take to reach the collector when Portico stops.
const SPANS_FLUSH: Duration = Duration::from_secs(5);

/// How `serve` was asked to run, for the first start and every reload.
struct ServeOptions {
    listen: SocketAddr,
    admin_listen: Option<AdminAddress>,
    otlp_endpoint: Option<String>,
    async_retry_delay: Duration,
    /// Reload on changes, reading the config again with these template options.
    watch: Option<TemplateArgs>,
}

async fn serve(
    (config_path, config): (PathBuf, Config),
    options: ServeOptions,
) -> anyhow::Result<ExitCode> {
    let ServeOptions {
        listen,
        admin_listen,
        otlp_endpoint,
        async_retry_delay,
        watch,
    } = options;
    let config_path = config_path.as_path();
    let prices = cost::prices(config.admin_prices.as_deref())?;
    let admin = admin_listener(admin_listen.map(|a| a.0), config.admin_listen).await?;
    let metrics = match &admin {
        Some(_) => Some(
            portico_server::admin::install_recorder()
                .map_err(|e| anyhow::anyhow!("cannot record metrics: {e}"))?,
        ),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {listen}; is another server using it? Pick another with --listen"
            )
        })?;
    let addr = listener.local_addr()?;
    let work = WorkDir::new();
    let tls = local_tls(&config, &work);
    let observatory = metrics.as_ref().map(|_| {
        let declared = portico_server::routes::declared(&config, addr);
        Arc::new(portico_observe::Observatory::new(declared))
    });
    let tracer = tracer(otlp_endpoint.as_deref(), config.tracing.as_ref())?;
    let recorders = Recorders {
        observatory: observatory.clone(),
        tracer: tracer.as_ref().map(|(t, _)| t.clone()),
        websockets: Arc::default(),
        trust: tls.as_ref().map(|t| t.trust.clone()).unwrap_or_default(),
    };
    let mut config = config;
    let served = served(&mut config, addr, &work, async_retry_delay, &recorders)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let credentials = served.gateway.runtime().credentials_source().to_string();
    let (publish, serving) = tokio::sync::watch::channel(Arc::new(served));
    let readiness = portico_server::Readiness::ready();
    println!(
        "Portico {} serving {} on http://{addr}\n",
        env!("CARGO_PKG_VERSION"),
        config_path.display()
    );
    print_routes(&config, addr);
    if let Some(tls) = &tls {
        println!(
            "  TLS           https:// and wss:// on the same port, certificates by {}",
            tls.ca.display()
        );
    }
    if let (Some(listener), Some(metrics), Some(observatory)) = (admin, metrics, observatory) {
        let admin_addr = listener.local_addr()?;
        println!("  Dashboard     http://{admin_addr}/dashboard");
        println!("  Admin         http://{admin_addr}/metrics  /healthz  /readyz  /routes  /usage");
        let admin = portico_server::admin::Admin {
            prices,
            metrics,
            serving: serving.clone(),
            observatory,
            readiness: readiness.clone(),
        };
        tokio::spawn(portico_server::admin::serve(listener, admin));
    }
    if let Some((_, url)) = &tracer {
        println!("  Traces        OTLP to {url}");
    }
    if !config.functions.is_empty() {
        println!("  Credentials   functions' AWS SDKs get {credentials}");
    }
    for api in config.rest_apis.values() {
        for key in api.api_keys.values().filter(|k| k.generated) {
            println!("  API key  {}/{}  {}", api.name, key.name, key.value);
        }
    }
    if watch.is_some() {
        println!(
            "\n  Watching {} and the functions' code: a change reloads what changed.",
            config.dir.display()
        );
    }
    println!("\nAWS CLI and SDKs: --endpoint-url http://{addr}   Press Ctrl-C to stop.");
    // In-flight requests may finish for as long as the slowest function may run; a second
    // Ctrl-C stops at once.
    let grace = config
        .functions
        .values()
        .map(|f| f.timeout)
        .max()
        .unwrap_or_default()
        + Duration::from_secs(5);
    let (first, second) = stop_signals()?;
    let shutdown = async move {
        let _ = first.await;
    };
    let force = async move {
        tokio::select! {
            _ = second => {}
            _ = tokio::time::sleep(grace) => {}
        }
    };
    // Without --watch, what is served stays as it is; the work folder lives as long as this.
    let _unwatched = match watch {
        Some(template) => {
            let reload = Reload {
                config_path: config_path.to_path_buf(),
                template,
                addr,
                work,
                async_retry_delay,
                recorders,
                publish,
            };
            tokio::spawn(reload.run(config));
            None
        }
        None => Some((publish, work)),
    };
    let tls = tls.map(|t| t.settings);
    portico_server::serve(listener, serving, tls, readiness, shutdown, force).await;
    if let Some((tracer, _)) = &tracer {
        tracer.flush(SPANS_FLUSH).await;
    }
    Ok(ExitCode::SUCCESS)
}

/// The first and the second Ctrl-C (or SIGTERM). Both signals are listened for from now on,
/// so a signal that comes while Portico is between the two is never missed.
fn stop_signals() -> std::io::Result<(
    tokio::sync::oneshot::Receiver<()>,
    tokio::sync::oneshot::Receiver<()>,
)> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let (first_tx, first) = tokio::sync::oneshot::channel();
    let (second_tx, second) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        for tx in [first_tx, second_tx] {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            let _ = tx.send(());
        }
    });
    Ok((first, second))
}

/// `portico import`: the template's config on standard output, what is not served on
/// standard error.
fn import(path: &Path, template: &TemplateArgs) -> anyhow::Result<ExitCode> {
    let translated =
        portico_config::import(path, &template.options()?).map_err(|e| anyhow::anyhow!("{e}"))?;
    for warning in &translated.warnings {
        let mut line = format!(
            "warning: {}:{}:{}: {}",
            path.display(),
            warning.line,
            warning.column,
            warning.message
        );
        if let Some(help) = &warning.help {
            line.push_str(&format!("\n  help: {help}"));
        }
        eprintln!("{line}");
    }
    println!(
        "# The Portico config of {} (portico import). Paths are relative to its folder.",
        path.display()
    );
    print!("{}", translated.text);
    Ok(ExitCode::SUCCESS)
}

fn print_routes(config: &Config, addr: SocketAddr) {
    let routes = portico_server::routes::routes(config, addr);
    if routes.is_empty() {
        println!("  (no functions in the config)");
        return;
    }
    let kind_width = routes.iter().map(|r| r.kind.len()).max().unwrap_or(0);
    let name_width = routes.iter().map(|r| r.function.len()).max().unwrap_or(0);
    for r in routes {
        println!(
            "  {:kind_width$}  {:name_width$}  {}",
            r.kind, r.function, r.url
        );
    }
}

async fn invoke(config: &Config, function: &str, payload: &str) -> anyhow::Result<ExitCode> {
    let payload = match payload.strip_prefix('@') {
        Some(file) => {
            std::fs::read(file).with_context(|| format!("cannot read the payload file {file}"))?
        }
        None => payload.as_bytes().to_vec(),
    };
    serde_json::from_slice::<serde::de::IgnoredAny>(&payload).context("the payload is not JSON")?;
    let work = WorkDir::new();
    let runtime = start_runtime(config, &work, Duration::from_secs(60))?;
    let pool = runtime.pool(function).with_context(|| {
        let names: Vec<&str> = config.functions.keys().map(String::as_str).collect();
        format!(
            "no function `{function}` in {}; it has: {}",
            config.path.display(),
            names.join(", ")
        )
    })?;
    let request_id = portico_events::time::request_id();
    let request = InvokeRequest {
        request_id: request_id.clone(),
        payload: payload.into(),
        invoked_arn: portico_events::invoke_api::function_arn(
            &config.region,
            &config.account_id,
            function,
            None,
        ),
        version: portico_config::LATEST.into(),
        trace_id: portico_events::time::trace_id(std::time::SystemTime::now()),
        client_context: None,
        want_log_tail: false,
        response_stream: false,
    };
    let invoked = pool.invoke(request).await?;
    let code = match invoked.outcome {
        Outcome::Response { body, .. } => {
            println!("{}", String::from_utf8_lossy(&body));
            ExitCode::SUCCESS
        }
        Outcome::Stream(mut stream) => {
            let mut code = ExitCode::SUCCESS;
            while let Some(event) = stream.next().await {
                match event {
                    portico_runtime::StreamEvent::Data(data) => {
                        print!("{}", String::from_utf8_lossy(&data))
                    }
                    portico_runtime::StreamEvent::Error { body, .. } => {
                        eprintln!("{}", String::from_utf8_lossy(&body));
                        code = ExitCode::FAILURE;
                    }
                }
            }
            println!();
            code
        }
        Outcome::FunctionError { body, .. } => {
            println!("{}", String::from_utf8_lossy(&body));
            ExitCode::FAILURE
        }
    };
    runtime.shutdown().await;
    Ok(code)
}
