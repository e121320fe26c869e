//! The explanation of a result: ordered steps, each with its value and legal reference, in plain
//! French; and the verdict with its reasons.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::{DatedValue, Param, SimulationError};

/// One step of a computation, e.g. label "Plafond du plan d'aide GIR 2", value
/// "1 682,30 € = 1,306 × MTP 1 288,13 €", reference "CASF R232-10".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub label: String,
    pub value: String,
    pub reference: String,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} : {} ({})", self.label, self.value, self.reference)
    }
}

/// Eligibility verdict. `reasons` say why (in plain French, with the article); `to_confirm` lists
/// conditions the simulation could not check (residence, a missing age, a figure not published).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Verdict {
    pub eligible: bool,
    pub reasons: Vec<String>,
    pub to_confirm: Vec<String>,
}

/// Whether a simulation writes its explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Explain {
    /// Every step in plain French with its reference: what the simulators and the API show.
    #[default]
    Full,
    /// The amounts and the verdict only (no steps): for batches over thousands of cases, e.g. a
    /// département estimating a revaluation over its beneficiaries. Formatting the steps is about
    /// three quarters of the time of one case (callgrind), the arithmetic the rest.
    AmountsOnly,
}

/// Collects steps and warnings while a rule runs.
pub(crate) struct Trace {
    pub steps: Vec<Step>,
    pub warnings: Vec<String>,
    explain: Explain,
}

/// Records a step; its arguments (usually `format!`s) are evaluated only when the trace explains.
macro_rules! step {
    ($t:expr, $($arg:expr),+ $(,)?) => {
        if $t.explains() {
            $t.step($($arg),+);
        }
    };
}
pub(crate) use step;

impl Trace {
    pub fn new(explain: Explain) -> Self {
        Trace {
            steps: Vec::new(),
            warnings: Vec::new(),
            explain,
        }
    }

    pub fn explains(&self) -> bool {
        self.explain == Explain::Full
    }

    /// The value of `param` on `date` and its reference; warns when the value may be out of date (see
    /// [`Param::may_be_out_of_date_on`]). For a value that only appears in a message, or that changes the
    /// result only in some cases, read it with [`Param::at`] and call [`Trace::warn_if_unsure`] when it
    /// matters.
    pub fn param<'p>(
        &mut self,
        name: &str,
        param: &'p Param,
        date: NaiveDate,
    ) -> Result<(Decimal, &'p str), SimulationError> {
        let v = param.at(name, date)?;
        self.warn_if_unsure(param, v, date);
        Ok((v.value, v.reference.as_str()))
    }

    /// Adds the warning for `value` (the value of `param` used on `date`) when it may be out of date,
    /// once per text.
    pub fn warn_if_unsure(&mut self, param: &Param, value: &DatedValue, date: NaiveDate) {
        if param.may_be_out_of_date_on(value, date) {
            let w = warning_text(param, value);
            if !self.warnings.contains(&w) {
                self.warnings.push(w);
            }
        }
    }

    /// Drops the warnings: for a result no unconfirmed value can change (the person is not eligible for
    /// a reason that does not depend on an amount).
    pub fn clear_warnings(&mut self) {
        self.warnings.clear();
    }

    /// Called through [`step!`], which skips it (and its arguments) when the trace does not explain.
    pub fn step(&mut self, label: impl Into<String>, value: impl Into<String>, reference: impl Into<String>) {
        self.steps.push(Step {
            label: label.into(),
            value: value.into(),
            reference: reference.into(),
        });
    }
}

/// The value with its unit in words: `19,34 € de l’heure`, `1 298,44 € par mois`, `0,938 × MTP`.
fn value_in_words(param: &Param, value: Decimal) -> String {
    let unit = param.unit.as_str();
    match unit.strip_prefix("EUR") {
        Some(rest) => {
            let amount = crate::money::fmt_dec_eur(value);
            match rest {
                "/heure" => format!("{amount} de l’heure"),
                "/mois" => format!("{amount} par mois"),
                "/an" => format!("{amount} par an"),
                "" => amount,
                other => format!("{amount} {}", other.trim_start_matches('/')),
            }
        }
        None if unit.starts_with('×') => format!("{} {unit}", crate::money::fmt_num(value)),
        None if unit == "/1" => crate::money::fmt_num(value),
        None => format!("{} {unit}", crate::money::fmt_num(value)),
    }
}

/// The warning in plain words, without dates: what value was used and why it may be wrong.
pub(crate) fn warning_text(param: &Param, value: &DatedValue) -> String {
    let what = param.description.replace('\'', "’");
    let used = value_in_words(param, value.value);
    if value.unconfirmed {
        format!(
            "{what} : la valeur utilisée ({used}) n’a pas pu être vérifiée dans un texte officiel ; elle \
             vient d’une source secondaire ou d’un calcul, et la valeur réelle peut être différente."
        )
    } else {
        format!(
            "{what} : la valeur utilisée ({used}) est la dernière que nous avons pu vérifier ; elle a \
             peut-être été revalorisée depuis."
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(unit: &str, revalued: bool, last_valid: &str, unconfirmed: bool) -> Param {
        let text = format!(
            "description = \"Tarif horaire de l’aide humaine en emploi direct\"\nunit = \"{unit}\"\n\
             revalued = {revalued}\nlast_value_still_valid_on = \"{last_valid}\"\n\
             [[values]]\nsince = \"2025-04-01\"\nvalue = 19.34\nreference = \"x\"\nunconfirmed = {unconfirmed}\n"
        );
        toml::from_str(&text).unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn warnings(p: &Param, on: &str) -> Vec<String> {
        let mut t = Trace::new(Explain::Full);
        t.param("x", p, day(on)).unwrap();
        t.warnings
    }

    #[test]
    fn a_revalued_amount_used_after_its_confirmation_warns_in_plain_words() {
        let p = param("EUR/heure", true, "2025-04-01", false);
        assert!(warnings(&p, "2025-04-01").is_empty(), "confirmed on that day");
        let w = warnings(&p, "2026-12-02");
        assert_eq!(
            w,
            [
                "Tarif horaire de l’aide humaine en emploi direct : la valeur utilisée (19,34\u{a0}€ de \
              l’heure) est la dernière que nous avons pu vérifier ; elle a peut-être été revalorisée depuis."
            ]
        );
        assert!(
            !w[0].contains("2025") && !w[0].contains("/04/"),
            "no raw date: {}",
            w[0]
        );
    }

    #[test]
    fn an_age_or_a_rate_fixed_by_law_never_warns_for_being_old() {
        let p = param("ans", false, "2020-01-01", false);
        assert!(warnings(&p, "2026-12-02").is_empty());
    }

    #[test]
    fn a_value_from_secondary_sources_warns_whenever_it_is_used() {
        let p = param("× MTP", false, "2030-01-01", true);
        let w = warnings(&p, "2025-06-01");
        assert_eq!(w.len(), 1);
        assert!(
            w[0].contains("(19,34 × MTP) n’a pas pu être vérifiée"),
            "{}",
            w[0]
        );
    }

    #[test]
    fn the_same_warning_is_given_once() {
        let p = param("EUR/heure", true, "2025-04-01", false);
        let mut t = Trace::new(Explain::Full);
        t.param("x", &p, day("2026-01-01")).unwrap();
        t.param("x", &p, day("2026-02-01")).unwrap();
        assert_eq!(t.warnings.len(), 1);
        t.clear_warnings();
        assert!(t.warnings.is_empty());
    }
}
