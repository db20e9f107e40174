//! Throttle: a route's token bucket (its own, or its stage's default); for REST APIs also
//! the API key a method requires and its usage plan's throttle and quota.

use portico_config::Throttle;
use portico_config::rest::{ApiKeySource, Quota, QuotaPeriod, RestApi};
use portico_events::{ApiError, GatewayResponse};

use crate::ctx::{Flow, RequestCtx};
use crate::limiter::Limiter;
use crate::refusal::Refusal;

/// Takes a token for `key` under `limit`; without one, API Gateway's 429.
pub fn http_api(limiter: &dyn Limiter, key: &str, limit: Throttle) -> Flow {
    if limiter.try_acquire(key, limit) {
        Flow::Continue
    } else {
        Flow::Refuse(Refusal::api(ApiError::TooManyRequests, "throttled"))
    }
}

/// A REST API method's throttling: the stage's bucket; then, when the method requires an API
/// key, the key (from `x-api-key`, or the authorizer's `usageIdentifierKey`) must be one of
/// the API's and in one of its usage plans, whose throttle and quota it then draws on.
pub fn rest_api(
    limiter: &dyn Limiter,
    ctx: &mut RequestCtx,
    api: &RestApi,
    stage: (&str, Option<Throttle>),
    method: &portico_config::rest::Method,
) -> Flow {
    let refuse = |response: GatewayResponse, why: &str| Flow::Refuse(Refusal::rest(response, why));
    if let Some(limit) = stage.1
        && !limiter.try_acquire(&format!("{}/{}", api.name, stage.0), limit)
    {
        return refuse(GatewayResponse::Throttled, "the stage's throttle");
    }
    if !method.api_key_required {
        return Flow::Continue;
    }
    let presented = match api.api_key_source {
        ApiKeySource::Header => ctx.header("x-api-key").map(str::to_string),
        ApiKeySource::Authorizer => ctx.usage_key.clone(),
    };
    let Some(key) = presented.and_then(|value| api.api_keys.values().find(|k| k.value == value))
    else {
        return refuse(GatewayResponse::InvalidApiKey, "no valid API key");
    };
    let Some(plan) = api
        .usage_plans
        .values()
        .find(|p| p.keys.contains(&key.name))
    else {
        return refuse(
            GatewayResponse::InvalidApiKey,
            "the API key is in no usage plan",
        );
    };
    let name = format!("{}/{}/{}", api.name, plan.name, key.name);
    // A method's own throttle in the plan replaces the plan's for that method.
    let by_method = plan.method_throttles.get(method.key.text());
    let bucket = match by_method {
        Some(_) => format!("{name}/{}", method.key.text()),
        None => name.clone(),
    };
    if let Some(limit) = by_method.copied().or(plan.throttle)
        && !limiter.try_acquire(&bucket, limit)
    {
        return refuse(GatewayResponse::Throttled, "the usage plan's throttle");
    }
    if let Some(quota) = plan.quota
        && !limiter.try_count(
            &name,
            &quota_period(&quota, time::OffsetDateTime::now_utc()),
            quota.limit,
        )
    {
        return refuse(GatewayResponse::QuotaExceeded, "the usage plan's quota");
    }
    Flow::Continue
}

/// The name of the quota period `now` falls in (UTC): its first day. A week starts on the
/// weekday `offset` (0 is Sunday), a month on its day `offset + 1`.
pub fn quota_period(quota: &Quota, now: time::OffsetDateTime) -> String {
    let today = now.date();
    let start = match quota.period {
        QuotaPeriod::Day => today,
        QuotaPeriod::Week => {
            let weekday = i64::from(today.weekday().number_days_from_sunday());
            let back = (weekday - i64::from(quota.offset)).rem_euclid(7);
            today - time::Duration::days(back)
        }
        QuotaPeriod::Month => {
            let day = u8::try_from(quota.offset + 1).unwrap_or(1);
            let this_month = today.replace_day(day).unwrap_or(today);
            if this_month <= today {
                this_month
            } else {
                // Before this month's start: the period began last month.
                let last = today.replace_day(1).unwrap_or(today) - time::Duration::days(1);
                last.replace_day(day).unwrap_or(last)
            }
        }
    };
    start.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn period(period: QuotaPeriod, offset: u32, now: time::OffsetDateTime) -> String {
        let quota = Quota {
            limit: 1,
            period,
            offset,
        };
        quota_period(&quota, now)
    }

    #[test]
    fn quota_periods_start_where_api_gateway_starts_them() {
        // 2026-11-26 is a Thursday.
        let now = datetime!(2026-11-26 15:00 UTC);
        assert_eq!(period(QuotaPeriod::Day, 0, now), "2026-11-26");
        assert_eq!(
            period(QuotaPeriod::Week, 0, now),
            "2026-11-22",
            "from Sunday"
        );
        assert_eq!(
            period(QuotaPeriod::Week, 1, now),
            "2026-11-23",
            "from Monday"
        );
        assert_eq!(
            period(QuotaPeriod::Week, 4, now),
            "2026-11-26",
            "from Thursday: today"
        );
        assert_eq!(
            period(QuotaPeriod::Week, 5, now),
            "2026-11-20",
            "from Friday: last week's"
        );
        assert_eq!(period(QuotaPeriod::Month, 0, now), "2026-11-01");
        assert_eq!(
            period(QuotaPeriod::Month, 26, now),
            "2026-10-27",
            "from the 27th: last month's"
        );
        assert_eq!(period(QuotaPeriod::Month, 25, now), "2026-11-26");
        let new_year = datetime!(2027-01-03 00:00 UTC);
        assert_eq!(period(QuotaPeriod::Month, 9, new_year), "2026-12-10");
    }
}
