//! Job ids and ARNs as AWS makes them: `<14-digit epoch millis>-<8 hex>`,
//! e.g. `01693685827463-2d8752fd`; ImportArn = `<TableArn>/import/<id>`,
//! ExportArn = `<TableArn>/export/<id>`.

use std::sync::Mutex;

use rand::Rng;

/// The last (millis, suffix) handed out, so that ids issued in the same
/// millisecond still sort in the order they were issued (listings page by
/// id and show jobs in start order).
static LAST: Mutex<(i64, u32)> = Mutex::new((-1, 0));

/// A random-looking suffix for `millis`, greater than the previous one when
/// the previous id had the same millis.
fn suffix(millis: i64) -> u32 {
    let mut last = LAST.lock().unwrap_or_else(|p| p.into_inner());
    next_suffix(&mut last, millis)
}

/// The suffix after `last` for an id of `millis`; updates `last`.
fn next_suffix(last: &mut (i64, u32), millis: i64) -> u32 {
    let mut rng = rand::rng();
    let s = if last.0 == millis {
        // Leave room below u32::MAX for later ids of this millisecond.
        let step = rng.random_range(1..=0xFFFF);
        last.1.saturating_add(step)
    } else {
        rng.random_range(0..0x8000_0000)
    };
    *last = (millis, s);
    s
}

/// A new job id for a job started at `now_millis` (Unix epoch milliseconds).
pub fn new_job_id(now_millis: i64) -> String {
    let millis = now_millis.max(0);
    format!("{:014}-{:08x}", millis, suffix(millis))
}

/// A new backup id (`<17-digit epoch millis>-<8 hex>`, the last part of a
/// BackupArn `<TableArn>/backup/<id>`) for a backup taken at `now_millis`.
pub fn new_backup_id(now_millis: i64) -> String {
    let millis = now_millis.max(0);
    format!("{:017}-{:08x}", millis, suffix(millis))
}

/// Whether `id` has the shape of a job id.
pub fn is_job_id(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 23
        && b[..14].iter().all(u8::is_ascii_digit)
        && b[14] == b'-'
        && b[15..]
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
}

/// The parts of a job ARN: `arn:aws:dynamodb:<region>:<account>:table/<table>/<kind>/<id>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobArn<'a> {
    pub region: &'a str,
    pub account: &'a str,
    pub table: &'a str,
    pub kind: &'a str,
    pub id: &'a str,
}

/// Split a job ARN (`kind` is "import" or "export"); `None` if malformed.
#[must_use]
pub fn parse_job_arn<'a>(arn: &'a str, kind: &str) -> Option<JobArn<'a>> {
    let rest = arn.strip_prefix("arn:aws:dynamodb:")?;
    let (region, rest) = rest.split_once(':')?;
    let (account, rest) = rest.split_once(':')?;
    let rest = rest.strip_prefix("table/")?;
    let (table, id) = rest.rsplit_once('/')?;
    let (table, k) = table.rsplit_once('/')?;
    if k != kind || table.is_empty() || !is_job_id(id) {
        return None;
    }
    Some(JobArn {
        region,
        account,
        table,
        kind: k,
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_aws_shape() {
        let id = new_job_id(1_693_685_827_463);
        assert!(id.starts_with("01693685827463-"), "{id}");
        assert!(is_job_id(&id));
        assert!(!is_job_id("1693685827463-2d8752fd"));
        assert!(!is_job_id("01693685827463-2D8752FD"));
    }

    #[test]
    fn ids_of_one_millisecond_sort_in_issue_order() {
        let mut last = (-1, 0);
        let ids: Vec<String> = (0..1000)
            .map(|_| format!("{:014}-{:08x}", 7, next_suffix(&mut last, 7)))
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        assert!(ids.iter().all(|id| is_job_id(id)));
        let other = next_suffix(&mut last, 8);
        assert!(other < 0x8000_0000);
    }

    #[test]
    fn arns_parse() {
        let arn =
            "arn:aws:dynamodb:us-east-1:123456789012:table/T.x-1/export/01693685827463-2d8752fd";
        let p = parse_job_arn(arn, "export").unwrap();
        assert_eq!(p.table, "T.x-1");
        assert_eq!(p.id, "01693685827463-2d8752fd");
        assert_eq!(p.account, "123456789012");
        assert!(parse_job_arn(arn, "import").is_none());
        assert!(parse_job_arn("arn:aws:dynamodb:us-east-1:1:table/T/export/x", "export").is_none());
    }
}
