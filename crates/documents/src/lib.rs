#![doc = include_str!("../README.md")]

mod decision;
mod fonts;
pub mod french;
mod layout;
mod pdf;
mod receipt;

pub use decision::{
    AmountFrequency, Appeal, Court, Decision, Outcome, Recipient, Signature, render_decision,
};
pub use layout::wrap_text;
pub use receipt::{Answer, ExpectedAnswer, Receipt, Silence, SummarySection, render_receipt};

/// What failed while rendering a document. None of these depend on the input: they mean the
/// build or the embedded fonts are broken, so callers log them and answer with a server error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
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
    pub service: Option<String>,
    /// Postal address, one line each: `Hôtel du Département`, `93006 Bobigny Cedex`.
    pub address_lines: Vec<String>,
    /// How to reach the service (telephone, web site), one line each; may be empty.
    pub contact_lines: Vec<String>,
}
