//! The texts of every email the platform sends. Each function returns a message to queue; none sends.

use askama::Template;
use guichet_db::outbox::NewEmail;

fn render(t: &impl Template) -> String {
    // The templates are compiled in and only interpolate strings: rendering cannot fail at run time, but
    // a failure must still not lose the email, so it degrades to a generic text.
    t.render()
        .unwrap_or_else(|_| "Bonjour,\n\nUn message de Guichet vous attend : connectez-vous.\n".into())
}

fn link(public_url: &str, path: &str) -> String {
    format!("{}{}", public_url.trim_end_matches('/'), path)
}

#[derive(Template)]
#[template(path = "verify_email.txt")]
struct VerifyEmail<'a> {
    name: &'a str,
    link: String,
}

pub fn verify_email(to: &str, name: &str, public_url: &str, token: &str) -> NewEmail {
    verify_email_then(to, name, public_url, token, None)
}

/// Percent-encodes a local path for a query string (the `suite` of a link): only unreserved characters
/// and `/` stay as they are.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The confirmation link, carrying where the person was going (`suite`, a local path checked again when
/// the link is opened): confirming logs them in and takes them there, a simulation's result for instance.
pub fn verify_email_then(
    to: &str,
    name: &str,
    public_url: &str,
    token: &str,
    suite: Option<&str>,
) -> NewEmail {
    let mut path = format!("/compte/confirmer?jeton={token}");
    if let Some(s) = suite.filter(|s| !s.is_empty()) {
        path.push_str("&suite=");
        path.push_str(&encode_path(s));
    }
    NewEmail {
        recipient: to.to_owned(),
        subject: "Confirmez votre adresse électronique".into(),
        body_text: render(&VerifyEmail {
            name,
            link: link(public_url, &path),
        }),
    }
}

#[derive(Template)]
#[template(path = "confirm_new_email.txt")]
struct ConfirmNewEmail<'a> {
    name: &'a str,
    link: String,
}

/// Sent to the new address of a change of address: it replaces the old one only once this link is opened.
pub fn confirm_new_email(to: &str, name: &str, public_url: &str, token: &str) -> NewEmail {
    NewEmail {
        recipient: to.to_owned(),
        subject: "Confirmez votre nouvelle adresse électronique".into(),
        body_text: render(&ConfirmNewEmail {
            name,
            link: link(public_url, &format!("/compte/adresse/confirmer?jeton={token}")),
        }),
    }
}

#[derive(Template)]
#[template(path = "email_change_requested.txt")]
struct EmailChangeRequested<'a> {
    new_email: &'a str,
}

/// Sent to the old address when a change is asked for: the owner can react before it takes effect.
pub fn email_change_requested(to: &str, new_email: &str) -> NewEmail {
    NewEmail {
        recipient: to.to_owned(),
        subject: "Demande de changement de votre adresse électronique".into(),
        body_text: render(&EmailChangeRequested { new_email }),
    }
}

#[derive(Template)]
#[template(path = "email_changed.txt")]
struct EmailChanged<'a> {
    new_email: &'a str,
}

/// Sent to the old address once the new one is confirmed.
pub fn email_changed(to: &str, new_email: &str) -> NewEmail {
    NewEmail {
        recipient: to.to_owned(),
        subject: "Votre adresse électronique a été changée".into(),
        body_text: render(&EmailChanged { new_email }),
    }
}

#[derive(Template)]
#[template(path = "account_closed.txt")]
struct AccountClosed {
    kept: usize,
}

/// Sent to the address of an account its owner just closed.
pub fn account_closed(to: &str, kept: usize) -> NewEmail {
    NewEmail {
        recipient: to.to_owned(),
        subject: "Votre compte a été supprimé".into(),
        body_text: render(&AccountClosed { kept }),
    }
}

#[derive(Template)]
#[template(path = "account_exists.txt")]
struct AccountExists {
    login_link: String,
    reset_link: String,
}

pub fn account_exists(to: &str, public_url: &str) -> NewEmail {
    NewEmail {
        recipient: to.to_owned(),
        subject: "Vous avez déjà un compte".into(),
        body_text: render(&AccountExists {
            login_link: link(public_url, "/connexion"),
            reset_link: link(public_url, "/mot-de-passe-oublie"),
        }),
    }
}

#[derive(Template)]
#[template(path = "reset_password.txt")]
struct ResetPassword {
    link: String,
}

pub fn reset_password(to: &str, public_url: &str, token: &str) -> NewEmail {
    NewEmail {
        recipient: to.to_owned(),
        subject: "Choisissez un nouveau mot de passe".into(),
        body_text: render(&ResetPassword {
            link: link(public_url, &format!("/mot-de-passe/nouveau?jeton={token}")),
        }),
    }
}

#[derive(Template)]
#[template(path = "invitation.txt")]
struct Invitation<'a> {
    inviter: &'a str,
    service: &'a str,
    role: &'a str,
    link: String,
}

/// An agent invited by an administrator: a one-time link to choose a password (seven days).
pub fn invitation(
    to: &str,
    inviter: &str,
    service: &str,
    role: &str,
    public_url: &str,
    token: &str,
) -> NewEmail {
    NewEmail {
        recipient: to.to_owned(),
        subject: "Votre compte d’agent sur Guichet : choisissez votre mot de passe".into(),
        body_text: render(&Invitation {
            inviter,
            service,
            role,
            link: link(public_url, &format!("/invitation?jeton={token}")),
        }),
    }
}

#[derive(Template)]
#[template(path = "opinion.txt")]
struct OpinionEmail<'a> {
    intro: &'a str,
    outro: &'a str,
    number: &'a str,
    procedure: &'a str,
    link: &'a str,
}

/// What an email about an expert opinion says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpinionNotice {
    /// To the expert: an opinion is asked of them.
    Asked,
    /// To the expert: the date asked has passed.
    Late,
    /// To the instructor who asked: the expert answered.
    Answered,
    /// To an expert without an account: an opinion is asked, through a one-time link.
    AskedByLink,
    /// To an expert without an account: the date has passed; a new link replaces the first.
    LateByLink,
}

pub fn opinion(to: &str, notice: OpinionNotice, number: &str, procedure: &str, link: &str) -> NewEmail {
    let (subject, intro) = match notice {
        OpinionNotice::Asked => (
            "Un avis vous est demandé",
            "Un instructeur ou une instructrice du département vous demande votre avis sur un dossier. La question et les documents utiles vous attendent ici :",
        ),
        OpinionNotice::Late => (
            "Rappel : un avis attendu",
            "La date souhaitée pour votre avis sur ce dossier est passée. La demande vous attend toujours ici :",
        ),
        OpinionNotice::Answered => (
            "Avis reçu sur un dossier",
            "L’avis que vous avez demandé a été donné. Vous le lisez dans la section « Avis » du dossier :",
        ),
        OpinionNotice::AskedByLink => (
            "Un avis vous est demandé",
            "Un instructeur ou une instructrice du département vous demande votre avis sur un dossier. Ce lien est personnel : ne le transférez pas. Il ouvre la question et les documents utiles jusqu’à ce que vous ayez envoyé votre avis :",
        ),
        OpinionNotice::LateByLink => (
            "Rappel : un avis attendu",
            "La date souhaitée pour votre avis sur ce dossier est passée. La demande vous attend toujours ; ce nouveau lien remplace celui du premier courriel, qui ne s’ouvre plus :",
        ),
    };
    let outro = match notice {
        OpinionNotice::AskedByLink | OpinionNotice::LateByLink => {
            "Le contenu de la demande n’est pas écrit dans ce courriel : il se lit sur la page du lien, où chaque consultation des documents est tracée."
        }
        _ => {
            "Le contenu de l’avis n’est pas écrit dans ce courriel : il se lit dans l’espace des agents, où chaque lecture est tracée."
        }
    };
    NewEmail {
        recipient: to.to_owned(),
        subject: format!("{subject} ({number})"),
        body_text: render(&OpinionEmail {
            intro,
            outro,
            number,
            procedure,
            link,
        }),
    }
}

#[derive(Template)]
#[template(path = "agent_news.txt")]
struct AgentNews<'a> {
    intro: &'a str,
    sections: &'a [(String, Vec<String>)],
    link: String,
    settings: String,
}

/// An agent's news (dossier numbers by kind: no name, no health detail), at once or as the daily digest.
pub fn agent_news(to: &str, digest: bool, sections: &[(String, Vec<String>)], public_url: &str) -> NewEmail {
    let count: usize = sections.iter().map(|(_, n)| n.len()).sum();
    NewEmail {
        recipient: to.to_owned(),
        subject: if digest {
            format!(
                "Votre résumé du jour : {count} nouveauté{}",
                if count > 1 { "s" } else { "" }
            )
        } else {
            format!("Du nouveau sur vos dossiers ({count})")
        },
        body_text: render(&AgentNews {
            intro: if digest {
                "Voici ce qui s’est passé depuis votre dernier résumé."
            } else {
                "Du nouveau sur vos dossiers depuis notre dernier courriel."
            },
            sections,
            link: link(public_url, "/instruction"),
            settings: link(public_url, "/instruction/notifications"),
        }),
    }
}

#[derive(Template)]
#[template(path = "password_changed.txt")]
struct PasswordChanged;

pub fn password_changed(to: &str) -> NewEmail {
    NewEmail {
        recipient: to.to_owned(),
        subject: "Votre mot de passe a été changé".into(),
        body_text: render(&PasswordChanged),
    }
}

#[derive(Template)]
#[template(path = "dossier_deposited.txt")]
struct DossierDeposited<'a> {
    procedure: &'a str,
    due: Option<&'a str>,
    silence: Option<&'a str>,
    link: &'a str,
}

/// The receipt email. `{number}` in the subject and body is replaced by the dossier number when the
/// deposit transaction assigns it.
pub fn dossier_deposited(
    to: &str,
    procedure: &str,
    due: Option<&str>,
    silence: Option<&str>,
    link: &str,
) -> NewEmail {
    NewEmail {
        recipient: to.to_owned(),
        subject: "Demande reçue – dossier {number}".into(),
        body_text: render(&DossierDeposited {
            procedure,
            due,
            silence,
            link,
        }),
    }
}

#[derive(Template)]
#[template(path = "complement_requested.txt")]
struct ComplementRequested<'a> {
    procedure: &'a str,
    number: &'a str,
    items: &'a [String],
    has_message: bool,
    link: &'a str,
}

/// The service asks for missing documents or answers. The instructor's own words stay in the usager's
/// space, as for every message: an email travels and is kept by providers, and what an instructor writes
/// about a dossier can carry health details. The list of items is the definition's labels.
pub fn complement_requested(
    to: &str,
    number: &str,
    procedure: &str,
    items: &[String],
    message: &str,
    link: &str,
) -> NewEmail {
    NewEmail {
        recipient: to.to_owned(),
        subject: format!("Dossier {number} : des éléments sont à compléter"),
        body_text: render(&ComplementRequested {
            procedure,
            number,
            items,
            has_message: !message.trim().is_empty(),
            link,
        }),
    }
}

#[derive(Template)]
#[template(path = "decision.txt")]
struct DecisionMail<'a> {
    procedure: &'a str,
    number: &'a str,
    outcome: &'a str,
    link: &'a str,
}

/// A decision was taken; the letter is in the usager's space.
pub fn decision(to: &str, number: &str, procedure: &str, outcome: &str, link: &str) -> NewEmail {
    NewEmail {
        recipient: to.to_owned(),
        subject: format!("Dossier {number} : décision"),
        body_text: render(&DecisionMail {
            procedure,
            number,
            outcome,
            link,
        }),
    }
}

#[derive(Template)]
#[template(path = "new_message.txt")]
struct NewMessage<'a> {
    procedure: &'a str,
    number: &'a str,
    link: &'a str,
}

/// A new message on a dossier. The text itself stays on the platform (it may hold health data).
pub fn new_message(to: &str, number: &str, procedure: &str, link: &str) -> NewEmail {
    NewEmail {
        recipient: to.to_owned(),
        subject: format!("Dossier {number} : nouveau message"),
        body_text: render(&NewMessage {
            procedure,
            number,
            link,
        }),
    }
}

#[derive(Template)]
#[template(path = "draft_expiry_warning.txt")]
struct DraftExpiryWarning<'a> {
    procedure: &'a str,
    last_change: &'a str,
    months: u32,
    purge_from: &'a str,
    link: &'a str,
}

/// A draft left untouched will be deleted (retention): sent once, before the deletion.
pub fn draft_expiry_warning(
    to: &str,
    procedure: &str,
    last_change: &str,
    months: u32,
    purge_from: &str,
    link: &str,
) -> NewEmail {
    NewEmail {
        recipient: to.to_owned(),
        subject: "Votre demande non terminée sera bientôt supprimée".into(),
        body_text: render(&DraftExpiryWarning {
            procedure,
            last_change,
            months,
            purge_from,
            link,
        }),
    }
}

/// What the administration's silence gave, for the implicit decision email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImplicitOutcome {
    /// Silence is a rejection (CASF R241-33 for the MDPH, CRPA L231-4 exceptions).
    Rejection,
    /// Silence is an acceptance (CRPA L231-1).
    Acceptance,
    /// The aid is granted provisionally at a flat monthly amount, as written (`1 040,17 €`), until the
    /// decision (APA at home, CASF L232-14).
    FlatAmount(String),
}

#[derive(Template)]
#[template(path = "implicit_decision.txt")]
struct ImplicitDecision<'a> {
    procedure: &'a str,
    number: &'a str,
    deemed_on: &'a str,
    outcome: &'a ImplicitOutcome,
    reference: &'a str,
    link: &'a str,
}

/// The due date passed without a decision: what the silence means and what to do, in plain French.
/// `reference` is the article that gives silence its meaning (`R241-33 du code de l’action sociale et
/// des familles`).
pub fn implicit_decision(
    to: &str,
    number: &str,
    procedure: &str,
    deemed_on: &str,
    outcome: &ImplicitOutcome,
    reference: &str,
    link: &str,
) -> NewEmail {
    let subject = match outcome {
        ImplicitOutcome::Rejection => {
            format!("Dossier {number} : sans réponse, votre demande est réputée refusée")
        }
        ImplicitOutcome::Acceptance => {
            format!("Dossier {number} : sans réponse, votre demande est réputée acceptée")
        }
        ImplicitOutcome::FlatAmount(_) => {
            format!("Dossier {number} : sans réponse, l’aide vous est accordée à titre provisoire")
        }
    };
    NewEmail {
        recipient: to.to_owned(),
        subject,
        body_text: render(&ImplicitDecision {
            procedure,
            number,
            deemed_on,
            outcome,
            reference,
            link,
        }),
    }
}

#[derive(Template)]
#[template(path = "care_plan_proposed.txt")]
struct CarePlanProposed<'a> {
    procedure: &'a str,
    number: &'a str,
    definitive: bool,
    plan: &'a str,
    participation: &'a str,
    apa: &'a str,
    answer_by: &'a str,
    link: &'a str,
}

/// The amounts of an APA care plan, as the email words them (« 1 500,00 € »).
#[derive(Debug, Clone, Copy)]
pub struct PlanAmounts<'a> {
    pub plan: &'a str,
    pub participation: &'a str,
    pub apa: &'a str,
}

/// An APA care plan proposed (or its definitive version after changes were asked, `definitive`), with
/// its amounts and the last day to answer (CASF R232-7: ten days; refusal or silence refuses the
/// request). The helps themselves stay on the platform: they say what the person needs help with.
pub fn care_plan_proposed(
    to: &str,
    number: &str,
    procedure: &str,
    definitive: bool,
    amounts: PlanAmounts<'_>,
    answer_by: &str,
    link: &str,
) -> NewEmail {
    NewEmail {
        recipient: to.to_owned(),
        subject: if definitive {
            format!("Dossier {number} : votre plan d’aide définitif, à accepter avant le {answer_by}")
        } else {
            format!("Dossier {number} : votre plan d’aide, à accepter avant le {answer_by}")
        },
        body_text: render(&CarePlanProposed {
            procedure,
            number,
            definitive,
            plan: amounts.plan,
            participation: amounts.participation,
            apa: amounts.apa,
            answer_by,
            link,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_care_plan_email_gives_the_amounts_and_the_last_day_but_not_the_helps() {
        let amounts = PlanAmounts {
            plan: "1 500,00 €",
            participation: "298,39 €",
            apa: "1 201,61 €",
        };
        let e = care_plan_proposed(
            "a@b.fr",
            "APA-2026-000001",
            "Demande d’APA",
            false,
            amounts,
            "12 décembre 2026",
            "http://127.0.0.1:8080/dossiers/x",
        );
        assert!(e.subject.contains("avant le 12 décembre 2026"), "{}", e.subject);
        for part in [
            "Montant du plan d’aide : 1 500,00 € par mois",
            "Votre participation : 298,39 € par mois",
            "L’APA versée par le département : 1 201,61 € par mois",
            "demander des modifications",
            "R232-7",
            "http://127.0.0.1:8080/dossiers/x",
        ] {
            assert!(e.body_text.contains(part), "{part}: {}", e.body_text);
        }
        let e = care_plan_proposed("a@b.fr", "N", "P", true, amounts, "1 janvier 2027", "l");
        assert!(e.body_text.contains("plan d’aide définitif"), "{}", e.body_text);
        assert!(
            !e.body_text.contains("demander des modifications"),
            "{}",
            e.body_text
        );
    }

    #[test]
    fn the_verification_email_carries_the_link_with_its_token() {
        let e = verify_email("a@b.fr", "Hélène", "https://guichet.example.fr/", "TOK");
        assert_eq!(e.recipient, "a@b.fr");
        assert!(e.body_text.contains("Bonjour Hélène"));
        assert!(
            e.body_text
                .contains("https://guichet.example.fr/compte/confirmer?jeton=TOK"),
            "{}",
            e.body_text
        );
    }

    #[test]
    fn the_complement_email_lists_the_items_but_never_the_instructors_words() {
        let items = vec!["Certificat médical".to_owned()];
        let e = complement_requested(
            "a@b.fr",
            "MDPH-2026-000001",
            "Demande à la MDPH",
            &items,
            "Votre diabète n’est pas documenté",
            "https://guichet.example.fr/dossiers/x",
        );
        assert!(e.body_text.contains("- Certificat médical"), "{}", e.body_text);
        assert!(!e.body_text.contains("diabète"), "{}", e.body_text);
        assert!(
            e.body_text.contains("message"),
            "says there is a message: {}",
            e.body_text
        );
    }

    #[test]
    fn the_reset_email_says_the_link_lasts_one_hour() {
        let e = reset_password("a@b.fr", "http://127.0.0.1:8080", "XYZ");
        assert!(
            e.body_text
                .contains("http://127.0.0.1:8080/mot-de-passe/nouveau?jeton=XYZ")
        );
        assert!(e.body_text.contains("1 heure"));
    }

    #[test]
    fn the_implicit_rejection_email_says_what_silence_means_and_what_to_do() {
        let e = implicit_decision(
            "a@b.fr",
            "MDPH-2026-000001",
            "Demande à la MDPH",
            "2 avril 2027",
            &ImplicitOutcome::Rejection,
            "R241-33 du code de l’action sociale et des familles",
            "http://x/dossiers/1",
        );
        assert!(e.subject.contains("réputée refusée"), "{}", e.subject);
        for words in [
            "au plus tard le 2 avril 2027",
            "refus implicite",
            "Demander les motifs du refus",
            "un mois",
            "R241-33",
            "http://x/dossiers/1",
        ] {
            assert!(e.body_text.contains(words), "{words}: {}", e.body_text);
        }
        assert!(!e.body_text.contains("attestation"), "{}", e.body_text);
        let e = implicit_decision(
            "a@b.fr",
            "APA-2026-000001",
            "APA",
            "2 avril 2027",
            &ImplicitOutcome::FlatAmount("1 040,17 €".into()),
            "L232-14 du code de l’action sociale et des familles",
            "http://x/dossiers/1",
        );
        assert!(
            e.body_text.contains("montant forfaitaire de 1 040,17 € par mois")
                && e.body_text.contains("attestation"),
            "{}",
            e.body_text
        );
        assert!(!e.body_text.contains("motifs"), "{}", e.body_text);
    }

    #[test]
    fn the_draft_warning_gives_the_date_and_the_link() {
        let e = draft_expiry_warning(
            "a@b.fr",
            "Demande d’APA",
            "1 juin 2026",
            6,
            "1 décembre 2026",
            "http://127.0.0.1:8080/dossiers/x",
        );
        assert!(e.body_text.contains("« Demande d’APA »"), "{}", e.body_text);
        assert!(
            e.body_text.contains("à partir du 1 décembre 2026"),
            "{}",
            e.body_text
        );
        assert!(e.body_text.contains("après 6 mois"), "{}", e.body_text);
        assert!(e.body_text.contains("http://127.0.0.1:8080/dossiers/x"));
    }
}

#[derive(Template)]
#[template(path = "document_infected.txt")]
struct DocumentInfected<'a> {
    procedure: &'a str,
    link: &'a str,
}

/// A document received while the antivirus was unreachable was found infected later, and deleted.
pub fn document_infected(to: &str, procedure: &str, link: &str) -> NewEmail {
    NewEmail {
        recipient: to.to_owned(),
        subject: "Un de vos documents a été supprimé : virus détecté".to_owned(),
        body_text: render(&DocumentInfected { procedure, link }),
    }
}

#[derive(Template)]
#[template(path = "dossier_shared.txt")]
struct DossierShared<'a> {
    inviter: &'a str,
    procedure: &'a str,
    beneficiary: &'a str,
    role: &'a str,
    link: &'a str,
}

/// An invitation to follow a dossier from one's own account (a parent, a representative, a helper…).
/// The answers stay on the platform.
pub fn dossier_shared(
    to: &str,
    inviter: &str,
    procedure: &str,
    beneficiary: &str,
    role: &str,
    link: &str,
) -> NewEmail {
    NewEmail {
        recipient: to.to_owned(),
        subject: format!("{inviter} vous donne accès à une demande"),
        body_text: render(&DossierShared {
            inviter,
            procedure,
            beneficiary,
            role,
            link,
        }),
    }
}

#[derive(Template)]
#[template(path = "renewal_due.txt")]
struct RenewalDue<'a> {
    procedure: &'a str,
    number: &'a str,
    end: &'a str,
    link: &'a str,
}

/// The reminder to renew a request whose rights end on `end` (in words).
pub fn renewal_due(to: &str, number: &str, procedure: &str, end: &str, link: &str) -> NewEmail {
    NewEmail {
        recipient: to.to_owned(),
        subject: format!("Dossier {number} : pensez à renouveler votre demande"),
        body_text: render(&RenewalDue {
            procedure,
            number,
            end,
            link,
        }),
    }
}
