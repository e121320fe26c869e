//! Dates written the way French administrative letters write them: "1er décembre 2026",
//! "23 novembre 2026 à 14 h 05". Done by hand: chrono's locale support needs an extra feature
//! and still prints "1 décembre".

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// `1er décembre 2026`, `23 novembre 2026`.
pub fn date(d: NaiveDate) -> String {
    let month = MONTHS.get(d.month0() as usize).copied().unwrap_or("");
    if d.day() == 1 {
        format!("1er {month} {}", d.year())
    } else {
        format!("{} {month} {}", d.day(), d.year())
    }
}

/// `juin 2026` from `2026-06` (a month as stored in statistics); anything else is returned as it came.
pub fn month(iso: &str) -> String {
    let parsed = iso
        .split_once('-')
        .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<usize>().ok()?)));
    match parsed {
        Some((y, m)) if (1..=12).contains(&m) => {
            format!("{} {y}", MONTHS.get(m - 1).copied().unwrap_or(""))
        }
        _ => iso.to_owned(),
    }
}

/// `23 novembre 2026 à 14 h 05`.
pub fn date_time(dt: NaiveDateTime) -> String {
    format!("{} à {} h {:02}", date(dt.date()), dt.hour(), dt.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_of_the_month_is_written_premier() {
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()),
            "1er décembre 2026"
        );
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2027, 2, 28).unwrap()),
            "28 février 2027"
        );
    }

    #[test]
    fn months_are_written_in_words() {
        assert_eq!(month("2026-06"), "juin 2026");
        assert_eq!(month("2026-12"), "décembre 2026");
        assert_eq!(month("inconnu"), "inconnu");
        assert_eq!(month("2026-13"), "2026-13");
    }

    #[test]
    fn times_use_the_h_separator_and_two_digit_minutes() {
        let dt = NaiveDate::from_ymd_opt(2026, 8, 3)
            .unwrap()
            .and_hms_opt(9, 5, 0)
            .unwrap();
        assert_eq!(date_time(dt), "3 août 2026 à 9 h 05");
    }
}
