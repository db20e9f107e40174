//! The cost lens: what the traffic Portico has served would cost on AWS behind a REST API, an
//! HTTP API, a Function URL and an Application Load Balancer, and which routes would break
//! AWS's limits there.
//!
//! A [`Usage`] (what the admin listener serves at `GET /usage`) and a [`Prices`] table
//! (`prices.yaml`, editable) go in; [`estimate`] makes a [`Report`], which [`render_text`]
//! prints for a terminal and serde writes as JSON for the dashboard. Does no IO: the caller
//! fetches the usage and reads the price file.

mod estimate;
mod prices;
mod text;
mod usage;

pub use estimate::{Front, FrontCost, InvokeApiCost, Line, Report, Warning, estimate};
pub use prices::{
    AlbPrices, DEFAULT_TABLE, DataTransferPrices, FrontLimits, HttpApiPrices, LambdaPrices, Limits,
    Prices, RequestPrices,
};
pub use text::{render_text, usd};
pub use usage::{RouteUsage, Usage};
