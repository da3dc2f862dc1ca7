//! Retries of throttled answers (429, 503), for any transport: as `Retry-After` asks, within
//! one budget of waiting per case.

use std::time::Duration;

use super::request::Prepared;
use super::transport::{Exchange, Transport, TransportError};
use crate::model::result::Retry;

/// How throttled answers are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times a 429 or 503 is retried.
    pub retries: usize,
    /// The most time one case spends waiting before retries, all its retries together.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 3,
            max_wait: Duration::from_secs(30),
        }
    }
}

/// Sends a request; a 429 or 503 is retried as its `Retry-After` says, up to the policy's
/// number of times and within one budget of waiting for all the retries together.
pub async fn send(
    transport: &dyn Transport,
    p: &Prepared,
    policy: RetryPolicy,
) -> Result<Exchange, TransportError> {
    let mut retries = Vec::new();
    let mut notes = Vec::new();
    // The budget is per case, not per retry, so that a throttling target cannot hold one
    // case for `retries` times `max_wait`.
    let mut left = policy.max_wait;
    loop {
        let mut exchange = transport.send(p).await?;
        notes.append(&mut exchange.notes);
        if matches!(exchange.status, 429 | 503) && retries.len() < policy.retries {
            let asked = exchange
                .headers
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(retry_after);
            let wait = match asked {
                // Retrying earlier than asked would only be throttled again: the answer in
                // hand is the one judged.
                Some(asked) if asked > left => {
                    notes.push(format!(
                        "not retried: Retry-After asks {}, more than the {} left of \
                         --max-retry-wait",
                        seconds(asked),
                        seconds(left)
                    ));
                    None
                }
                Some(asked) => Some(asked),
                // Without Retry-After, back off exponentially from one second.
                None => Some(Duration::from_secs(1 << retries.len().min(5)).min(left)),
            };
            if let Some(wait) = wait {
                left = left.saturating_sub(wait);
                retries.push(Retry {
                    status: exchange.status,
                    waited_ms: wait.as_millis() as u64,
                });
                tokio::time::sleep(wait).await;
                continue;
            }
        }
        exchange.retries = retries;
        exchange.notes = notes;
        return Ok(exchange);
    }
}

/// A duration in seconds as a person reads it: `120 s`, `0.5 s`.
fn seconds(d: Duration) -> String {
    let (whole, ms) = (d.as_secs(), d.subsec_millis());
    if ms == 0 {
        format!("{whole} s")
    } else {
        let frac = format!("{ms:03}");
        format!("{whole}.{} s", frac.trim_end_matches('0'))
    }
}

/// How long a `Retry-After` value (delay-seconds or an HTTP date) asks to wait.
pub fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_retry_after_in_both_forms() {
        assert_eq!(retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        let later = std::time::SystemTime::now() + Duration::from_secs(120);
        let waited = retry_after(&httpdate::fmt_http_date(later)).unwrap_or_default();
        assert!(waited > Duration::from_secs(100) && waited <= Duration::from_secs(120));
        assert_eq!(retry_after("soon"), None);
    }

    #[test]
    fn seconds_read_as_written() {
        assert_eq!(seconds(Duration::from_secs(120)), "120 s");
        assert_eq!(seconds(Duration::from_millis(500)), "0.5 s");
        assert_eq!(seconds(Duration::from_millis(29_950)), "29.95 s");
        assert_eq!(seconds(Duration::ZERO), "0 s");
    }
}
