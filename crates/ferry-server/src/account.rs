//! Account-level operations SDKs and infrastructure tools call:
//! DescribeEndpoints (the address the client reached, as endpoint discovery
//! expects, cached for 1440 minutes as DynamoDB answers) and DescribeLimits
//! (DynamoDB's default quotas).

use crate::errors::ApiError;
use crate::state::AppState;
use crate::wire::control::{DescribeEndpointsOutput, DescribeLimitsOutput, Endpoint};

tokio::task_local! {
    /// The `Host` header of the request being served.
    static HOST: Option<String>;
}

/// Run `fut` with `host` as the current request's `Host`.
pub async fn with_host<F: std::future::Future>(host: Option<String>, fut: F) -> F::Output {
    HOST.scope(host, fut).await
}

pub async fn describe_endpoints(
    state: &AppState,
    body: &[u8],
) -> Result<DescribeEndpointsOutput, ApiError> {
    let _: serde::de::IgnoredAny = crate::wire::parse(body)?;
    let address = HOST
        .try_with(Clone::clone)
        .ok()
        .flatten()
        .unwrap_or_else(|| state.config.listen.to_string());
    Ok(DescribeEndpointsOutput {
        endpoints: vec![Endpoint {
            address,
            cache_period_in_minutes: 1440,
        }],
    })
}

pub async fn describe_limits(
    _state: &AppState,
    body: &[u8],
) -> Result<DescribeLimitsOutput, ApiError> {
    let _: serde::de::IgnoredAny = crate::wire::parse(body)?;
    Ok(DescribeLimitsOutput {
        account_max_read_capacity_units: 80_000,
        account_max_write_capacity_units: 80_000,
        table_max_read_capacity_units: 40_000,
        table_max_write_capacity_units: 40_000,
    })
}
