//! Helpers shared by the input structs: money typed by people (in euros), ages and dates.
//!
//! Money inputs are **euros** (`1500`, `1500.5`, `"1 500,50"`), unlike [`guichet_types::Euros`]'s own
//! serde form (integer cents): a form answer, a CSV cell and a JSON body all carry what people type.

use chrono::{Datelike, NaiveDate, Utc};
use guichet_types::{Euros, Gir};
use rust_decimal::Decimal;
use serde::Deserializer;

struct EurosVisitor;

impl serde::de::Visitor<'_> for EurosVisitor {
    type Value = Euros;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("un montant en euros, par exemple 1500 ou \"1 500,50\"")
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Euros, E> {
        v.checked_mul(100)
            .map(Euros::from_cents)
            .ok_or_else(|| E::custom("montant trop grand"))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Euros, E> {
        i64::try_from(v)
            .map_err(|_| E::custom("montant trop grand"))
            .and_then(|v| self.visit_i64(v))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Euros, E> {
        // The shortest decimal form of the float is what the person typed (`1500.5`).
        Euros::parse(&v.to_string()).map_err(E::custom)
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Euros, E> {
        Euros::parse(v).map_err(E::custom)
    }
}

/// Deserializes an amount in euros.
pub fn de_euros<'de, D: Deserializer<'de>>(d: D) -> Result<Euros, D::Error> {
    d.deserialize_any(EurosVisitor)
}

/// Deserializes an optional amount in euros (absent, `null` or empty string: none).
pub fn de_opt_euros<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Euros>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Option<Euros>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("un montant en euros ou rien")
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            de_opt_euros(d)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            EurosVisitor.visit_i64(v).map(Some)
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            EurosVisitor.visit_u64(v).map(Some)
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
            EurosVisitor.visit_f64(v).map(Some)
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            if v.trim().is_empty() {
                Ok(None)
            } else {
                EurosVisitor.visit_str(v).map(Some)
            }
        }
    }
    d.deserialize_any(V)
}

/// Deserializes an optional decimal quantity (hours, a rate): a number, or a string with `.` or `,`.
pub fn de_opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Option<Decimal>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("un nombre ou rien")
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            de_opt_decimal(d)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(Decimal::from(v)))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(Decimal::from(v)))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
            v.to_string().parse::<Decimal>().map(Some).map_err(E::custom)
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let t = v.trim().replace(',', ".");
            if t.is_empty() {
                Ok(None)
            } else {
                t.parse::<Decimal>().map(Some).map_err(E::custom)
            }
        }
    }
    d.deserialize_any(V)
}

/// Deserializes a GIR from a number (`2`) or a string (`"2"`, `"GIR 2"`), as forms and CSV cells carry it.
pub fn de_gir<'de, D: Deserializer<'de>>(d: D) -> Result<Gir, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = Gir;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("un GIR de 1 à 6")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Gir, E> {
            u8::try_from(v)
                .map_err(E::custom)
                .and_then(|v| Gir::new(v).map_err(E::custom))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Gir, E> {
            u8::try_from(v)
                .map_err(E::custom)
                .and_then(|v| Gir::new(v).map_err(E::custom))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Gir, E> {
            Gir::parse(v).map_err(E::custom)
        }
    }
    d.deserialize_any(V)
}

/// The simulation date: the one given, or today (UTC) when absent.
pub fn effective_date(date: Option<NaiveDate>) -> NaiveDate {
    date.unwrap_or_else(|| Utc::now().date_naive())
}

/// Age in whole years on `date`: a person reaches an age on the day of the birthday (for a 29 February
/// birth, on 1 March in common years).
pub fn age_on(birth: NaiveDate, date: NaiveDate) -> u32 {
    if date < birth {
        return 0;
    }
    let mut years = date.year() - birth.year();
    if (date.month(), date.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// The age to use: from the birth date when given (exact to the day), else the declared age.
pub fn resolve_age(date_naissance: Option<NaiveDate>, age: Option<u32>, date: NaiveDate) -> Option<u32> {
    date_naissance.map(|b| age_on(b, date)).or(age)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_person_is_sixty_on_the_birthday_not_the_day_before() {
        assert_eq!(age_on(d(1966, 3, 15), d(2026, 3, 14)), 59);
        assert_eq!(age_on(d(1966, 3, 15), d(2026, 3, 15)), 60);
    }

    #[test]
    fn born_on_29_february_turns_a_year_older_on_1_march() {
        assert_eq!(age_on(d(1964, 2, 29), d(2025, 2, 28)), 60);
        assert_eq!(age_on(d(1964, 2, 29), d(2025, 3, 1)), 61);
    }

    #[test]
    fn money_is_read_in_euros_from_numbers_and_french_strings() {
        #[derive(serde::Deserialize)]
        struct T {
            #[serde(deserialize_with = "de_euros")]
            a: Euros,
            #[serde(default, deserialize_with = "de_opt_euros")]
            b: Option<Euros>,
        }
        let t: T = serde_json::from_str(r#"{"a": 1500.5, "b": "1 800,25"}"#).unwrap();
        assert_eq!(t.a, Euros::from_cents(150_050));
        assert_eq!(t.b, Some(Euros::from_cents(180_025)));
        let t: T = serde_json::from_str(r#"{"a": 1500}"#).unwrap();
        assert_eq!((t.a, t.b), (Euros::from_cents(150_000), None));
        assert!(serde_json::from_str::<T>(r#"{"a": 12.345}"#).is_err());
    }

    #[test]
    fn a_gir_is_read_from_a_number_or_a_string() {
        #[derive(serde::Deserialize)]
        struct T {
            #[serde(deserialize_with = "de_gir")]
            gir: Gir,
        }
        let g = |j: &str| serde_json::from_str::<T>(j).map(|t| t.gir.value()).ok();
        assert_eq!(g(r#"{"gir": 2}"#), Some(2));
        assert_eq!(g(r#"{"gir": "GIR 3"}"#), Some(3));
        assert_eq!(g(r#"{"gir": 7}"#), None);
    }
}
