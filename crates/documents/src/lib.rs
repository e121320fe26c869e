#![doc = include_str!("../README.md")]

mod attestation;
mod decision;
mod fonts;
pub mod french;
mod layout;
mod letter;
mod pdf;
mod receipt;

pub use attestation::{Attestation, ImplicitKind, attestation_text, render_attestation};
pub use decision::{
    AppealRoute, Decision, Recipient, RightDecision, RightOutcome, Signature, decision_text, render_decision,
};
pub use layout::wrap_text;
pub use letter::{LetterSection, LetterText, LetterTexts};
pub use receipt::{Answer, ExpectedAnswer, Receipt, Silence, SummarySection, render_receipt};

/// What failed while rendering a document. [`DocumentError::Font`] and [`DocumentError::Pdf`] do not
/// depend on the input: the build or the embedded fonts are broken. [`DocumentError::Incomplete`]
/// means the caller's data lacks something the law requires of a letter (a signatory, an appeal
/// route, the reasons for a refusal); the letter is not printed, and the data must be fixed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// The letter would miss a legally required mention; the text says which.
    #[error("lettre incomplète : {0}")]
    Incomplete(String),
    /// An embedded font could not be parsed.
    #[error("police de caractères inutilisable : {0}")]
    Font(String),
    /// printpdf or lopdf refused to write the file.
    #[error("écriture du PDF impossible : {0}")]
    Pdf(String),
}

/// The issuing authority, printed at the top left of every document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Letterhead {
    /// `Département de la Seine-Saint-Denis`.
    pub name: String,
    /// The service handling the procedure, e.g. `Direction de l’autonomie`; `None` to leave it out.
    #[serde(default)]
    pub service: Option<String>,
    /// Postal address, one line each: `Hôtel du Département`, `93006 Bobigny Cedex`.
    #[serde(default)]
    pub address_lines: Vec<String>,
    /// How to reach the service (telephone, e-mail, web site), one line each; may be empty.
    #[serde(default)]
    pub contact_lines: Vec<String>,
}
