//! Times are stored in UTC (milliseconds since the epoch) and shown in Asia/Shanghai.
//! China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// Milliseconds since the epoch → `2026-11-23 14:05` in Shanghai time.
pub fn display_millis(ms: i64) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => t
            .with_timezone(&shanghai())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        None => String::new(),
    }
}

/// The Shanghai calendar day a UTC instant falls on.
pub fn local_date(ms: i64) -> Option<NaiveDate> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t: DateTime<Utc>| t.with_timezone(&shanghai()).date_naive())
}

/// A calendar day typed by a person (`2026-11-23`), within the years any record can
/// concern (1900–2100). chrono alone would accept `+262143-12-31`, whose arithmetic
/// overflows.
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    use chrono::Datelike;
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (1900..=2100).contains(&d.year()))
}

/// The UTC instant (ms) of a Shanghai day's midnight: the start of that day.
pub fn local_midnight_ms(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .expect("valid time")
        .and_local_timezone(shanghai())
        .single()
        .expect("fixed offset")
        .timestamp_millis()
}

/// Noon of a Shanghai day, for facts recorded by the day ("DNA taken on the 3rd").
pub fn local_noon_ms(day: NaiveDate) -> i64 {
    local_midnight_ms(day) + 12 * 3_600_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_utc_evening_is_the_next_day_in_shanghai() {
        // 2026-11-23 17:30 UTC is 2026-11-24 01:30 in Shanghai.
        let ms = Utc
            .with_ymd_and_hms(2026, 11, 23, 17, 30, 0)
            .unwrap()
            .timestamp_millis();
        assert_eq!(display_millis(ms), "2026-11-24 01:30");
        assert_eq!(local_date(ms), NaiveDate::from_ymd_opt(2026, 11, 24));
    }

    #[test]
    fn a_shanghai_day_starts_at_16_utc_the_day_before() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let ms = local_midnight_ms(d);
        assert_eq!(display_millis(ms), "2026-11-24 00:00");
        assert_eq!(local_date(ms), Some(d));
        assert_eq!(local_date(ms - 1), d.pred_opt());
        assert_eq!(display_millis(local_noon_ms(d)), "2026-11-24 12:00");
    }

    #[test]
    fn typed_days_stay_within_the_years_records_concern() {
        assert_eq!(
            parse_day(" 2026-11-23 "),
            NaiveDate::from_ymd_opt(2026, 11, 23)
        );
        assert_eq!(parse_day("+262143-12-31"), None);
        assert_eq!(parse_day("-0001-01-01"), None);
        assert_eq!(parse_day("1899-12-31"), None);
        assert_eq!(parse_day("2026-02-30"), None);
        assert_eq!(
            parse_day("2100-12-31"),
            NaiveDate::from_ymd_opt(2100, 12, 31)
        );
    }
}
