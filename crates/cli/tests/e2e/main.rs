//! End-to-end tests: a real `portico serve`, real functions, real clients.

mod cli;
mod cloudformation;
mod cost;
mod dashboard;
mod faults;
mod function_url;
mod harness;
mod http_api;
mod invoke_api;
mod lambdaliths;
mod metrics;
mod rest_api;
mod runtimes;
mod templates;
mod websocket;
