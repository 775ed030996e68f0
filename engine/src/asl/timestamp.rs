//! Timestamps as the ASL defines them: RFC 3339 with an uppercase `T` and an
//! uppercase `Z` (or a numeric offset).

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

/// Parses an ASL timestamp; `None` when it is not one.
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    // RFC 3339 allows lowercase 't'/'z'; the ASL does not.
    if text.contains('t') || text.contains('z') || !text.contains('T') {
        return None;
    }
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// Formats a time the way Step Functions prints context timestamps:
/// UTC, millisecond precision, e.g. `2019-03-26T20:14:13.192Z`.
pub fn format_timestamp(t: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_asl_timestamps_only() {
        assert!(parse_timestamp("2016-03-14T01:59:00Z").is_some());
        assert!(parse_timestamp("2016-03-14T01:59:00.123+02:00").is_some());
        assert!(parse_timestamp("2016-03-14t01:59:00Z").is_none());
        assert!(parse_timestamp("2016-03-14T01:59:00z").is_none());
        assert!(parse_timestamp("2016-03-14").is_none());
        assert!(parse_timestamp("yesterday").is_none());
    }

    #[test]
    fn formats_with_milliseconds_in_utc() {
        let t = parse_timestamp("2019-03-26T22:14:13.192+02:00").expect("valid");
        assert_eq!(format_timestamp(t), "2019-03-26T20:14:13.192Z");
    }
}
