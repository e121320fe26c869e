//! Which emails a person may turn off in « Mon compte », and which they may not.
//!
//! Only the emails that repeat what the personal space already shows are optional. The ones that carry a
//! legal effect or a deadline (the receipt, a request for documents, a decision, a proposed care plan, a
//! draft about to be deleted, account security) are always sent: missing them could cost a right.

/// An email a person chooses to receive or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Optional {
    /// « Nouveau message » on a dossier: the message itself is read in the personal space.
    NewMessage,
}

impl Optional {
    pub const ALL: [Optional; 1] = [Optional::NewMessage];

    /// The form field in « Mon compte ».
    pub const fn field(self) -> &'static str {
        match self {
            Optional::NewMessage => "messages",
        }
    }

    /// The checkbox label, in French.
    pub const fn label(self) -> &'static str {
        match self {
            Optional::NewMessage => "Me prévenir par courriel quand le service m’écrit un nouveau message",
        }
    }

    pub const fn hint(self) -> &'static str {
        match self {
            Optional::NewMessage => {
                "Le message lui-même se lit dans votre espace : sans ce courriel, pensez à le consulter."
            }
        }
    }
}

/// The emails that are always sent, as « Mon compte » lists them.
pub const MANDATORY: [&str; 6] = [
    "l’accusé de réception de votre demande",
    "une demande de pièces ou d’informations, avec le délai pour répondre",
    "la décision, ou la décision implicite quand le délai est dépassé",
    "une proposition de plan d’aide (APA) à accepter ou à refuser",
    "l’avertissement avant la suppression d’un brouillon laissé sans modification",
    "la sécurité de votre compte : confirmation d’adresse, mot de passe changé, adresse changée",
];
