//! The explanation of a result: ordered steps, each with its value and legal reference, in plain
//! French; and the verdict with its reasons.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::{Param, SimulationError};

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

    /// The value of `param` on `date` and its reference; warns when the value is used after the last
    /// date it is known to be valid.
    pub fn param<'p>(
        &mut self,
        name: &str,
        param: &'p Param,
        date: NaiveDate,
    ) -> Result<(Decimal, &'p str), SimulationError> {
        let v = param.at(name, date)?;
        if param.is_unconfirmed_on(date) {
            let w = format!(
                "{} : la valeur {} (en vigueur depuis le {}) n'est confirmée que jusqu'au {} ; \
                 une revalorisation plus récente peut exister.",
                param.description,
                if param.unit.starts_with("EUR") {
                    crate::money::fmt_dec_eur(v.value)
                } else {
                    crate::money::fmt_num(v.value)
                },
                v.since.format("%d/%m/%Y"),
                param.last_value_still_valid_on.format("%d/%m/%Y"),
            );
            if !self.warnings.contains(&w) {
                self.warnings.push(w);
            }
        }
        Ok((v.value, v.reference.as_str()))
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
