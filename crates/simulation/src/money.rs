//! Conversions between exact decimals and [`Euros`] (integer cents), and French formatting.
//! Rounding to the cent happens only through [`round_to_cents`], called where the law rounds.

use guichet_types::Euros;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::SimulationError;

/// Euros to an exact decimal number of euros.
pub fn dec(e: Euros) -> Decimal {
    Decimal::new(e.cents(), 2)
}

/// Rounds to the nearest cent, half away from zero (the usual rounding of published amounts).
pub fn round_to_cents(d: Decimal) -> Result<Euros, SimulationError> {
    (d * Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .map(Euros::from_cents)
        .ok_or_else(|| SimulationError::InvalidInput(format!("montant hors limites : {d}")))
}

/// `1 682,30 €`.
pub fn fmt_eur(e: Euros) -> String {
    e.to_string()
}

/// An exact amount not yet rounded, shown to the cent for reading (the computation keeps it exact).
pub fn fmt_dec_eur(d: Decimal) -> String {
    match round_to_cents(d) {
        Ok(e) => e.to_string(),
        Err(_) => format!("{d} €"),
    }
}

/// A coefficient in French notation: `1,306`.
pub fn fmt_num(d: Decimal) -> String {
    d.normalize().to_string().replace('.', ",")
}

/// A fraction as a percentage: `0.8` → `80 %`, `0.199` → `19,9 %`.
pub fn fmt_pct(d: Decimal) -> String {
    format!("{}\u{a0}%", fmt_num((d * Decimal::ONE_HUNDRED).round_dp(2)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn rounding_is_half_away_from_zero_to_the_cent() {
        let r = |s: &str| round_to_cents(Decimal::from_str(s).unwrap()).unwrap().cents();
        assert_eq!(r("1682.29778"), 168_230);
        assert_eq!(r("298.394826"), 29_839);
        assert_eq!(r("0.005"), 1);
        assert_eq!(r("12"), 1_200);
        assert_eq!(r("-0.005"), -1);
    }

    #[test]
    fn numbers_are_written_the_french_way() {
        assert_eq!(fmt_num(Decimal::from_str("1.306").unwrap()), "1,306");
        assert_eq!(fmt_pct(Decimal::from_str("0.8").unwrap()), "80\u{a0}%");
    }
}
