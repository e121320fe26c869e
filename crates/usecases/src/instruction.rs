//! What an instructor does to a dossier: take it, ask a complement, decide each right, add or withdraw a
//! right, close, reopen, assign, write a note. Each call checks the dossier is visible to the actor
//! (`guichet_dossiers::access`), writes in one transaction with its event and email, and is the same for
//! the HTML back office, the API and the CLI.

use guichet_accounts::users;
use guichet_db::AnyConnection;
use guichet_db::outbox::NewEmail;
use guichet_dossiers::access::{self, Refusal, Viewer};
use guichet_dossiers::instruction::{self, Command, Complement};
use guichet_dossiers::rights::{self, NewRight, Outcome, Rate, Right, RightDecision, Unit};
use guichet_dossiers::store::{self, Dossier};
use guichet_dossiers::{Actor, State};
use guichet_forms::FormDefinition;
use guichet_types::Euros;

use crate::error::{CaseError, Invalid, OWN_DOSSIER, Result};

/// Why the back office refuses a member of staff the request of a relative (or their own, filed by
/// someone else).
pub const SHARED: &str = "Cette demande vous a été partagée : vous la suivez dans « Mes dossiers », comme la famille ou les proches de la personne. Vous ne pouvez pas l’instruire ni la consulter ici : un ou une collègue du service s’en charge.";
pub const RELATIVE: &str = "Cette demande vous concerne, vous ou un proche que vous avez déclaré dans « Mon compte » : vous ne pouvez ni la consulter ni l’instruire. Un ou une collègue du service s’en charge.";

/// Who acts in the back office, and how the lifecycle sees them.
#[derive(Debug, Clone)]
pub struct Staff {
    pub viewer: Viewer,
    pub actor: Actor,
}

impl Staff {
    pub fn id(&self) -> &str {
        &self.viewer.user_id
    }
}

/// A deposited dossier the staff member may see, or why not (outside their services it does not exist).
pub fn visible(conn: &mut AnyConnection, staff: &Staff, id: &str) -> Result<(Dossier, access::Standing)> {
    let d = store::find(conn, id)?
        .filter(|d| d.state != State::Brouillon)
        .ok_or(CaseError::NotFound)?;
    let standing = access::back_office(&staff.viewer, &d).map_err(|r| match r {
        Refusal::NotVisible => CaseError::NotFound,
        Refusal::OwnDossier => CaseError::Denied(OWN_DOSSIER),
        Refusal::Relative => CaseError::Denied(RELATIVE),
    })?;
    // A dossier shared with the agent (a parent, a representative, a relative…) is one of their own
    // people's: a colleague instructs it.
    if guichet_dossiers::sharing::grant(conn, &d.id, staff.id())?.is_some() {
        return Err(CaseError::Denied(SHARED));
    }
    Ok((d, standing))
}

/// What an action on a dossier needs of the staff member's role in its service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Any action of instruction (take, note, message, review, evaluate, propose).
    Act,
    /// A decision: decide a right, close the dossier, set or change a CDAPH agenda.
    Decide,
}

pub const READ_ONLY: &str = "Votre rôle dans ce service est la consultation : vous pouvez lire ce dossier, pas agir dessus. Demandez à un administrateur de changer votre rôle si besoin.";
pub const NOT_DECIDER: &str = "Votre rôle dans ce service est l’évaluation : les décisions sont prises par les instructeurs et instructrices du service.";

/// A dossier the staff member may act on with that need: [`visible`], then the role in its service
/// (`guichet_types::ServiceRole`). Every use case that writes on a dossier starts here.
pub fn acting(
    conn: &mut AnyConnection,
    staff: &Staff,
    id: &str,
    need: Need,
) -> Result<(Dossier, access::Standing)> {
    let (d, standing) = visible(conn, staff, id)?;
    permitted(staff, &d, need)?;
    Ok((d, standing))
}

/// The role rule alone, for a dossier already loaded through [`visible`].
pub fn permitted(staff: &Staff, d: &Dossier, need: Need) -> Result<()> {
    let v = &staff.viewer;
    if !v.may_act(&d.service_code) {
        return Err(CaseError::Denied(READ_ONLY));
    }
    if need == Need::Decide && !v.may_decide(&d.service_code) {
        return Err(CaseError::Denied(NOT_DECIDER));
    }
    Ok(())
}

/// Where the emails' links point, and the platform's name in them.
#[derive(Debug, Clone)]
pub struct Links {
    pub public_url: String,
}

impl Links {
    pub fn dossier(&self, d: &Dossier) -> String {
        format!("{}/dossiers/{}", self.public_url, d.id)
    }
}

fn number(d: &Dossier) -> String {
    d.number.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn owner_email(conn: &mut AnyConnection, d: &Dossier) -> Result<String> {
    Ok(users::find(conn, &d.owner_id)?.ok_or(CaseError::NotFound)?.email)
}

/// The decision email, queued when the dossier's last right is decided.
pub(crate) fn decision_email(
    conn: &mut AnyConnection,
    links: &Links,
    d: &Dossier,
    def: &FormDefinition,
) -> Result<NewEmail> {
    Ok(guichet_notify::emails::decision(
        &owner_email(conn, d)?,
        &number(d),
        def.title(),
        "rendue",
        &links.dossier(d),
    ))
}

/// Take, ask a complement, close or reopen (the commands of the lifecycle that are not decisions).
pub fn act(
    conn: &mut AnyConnection,
    links: &Links,
    staff: &Staff,
    def: &FormDefinition,
    id: &str,
    expected_version: i32,
    command: &Command,
) -> Result<Dossier> {
    let need = match command {
        Command::Close { .. } => Need::Decide,
        _ => Need::Act,
    };
    let (d, _) = acting(conn, staff, id, need)?;
    let email = match command {
        Command::Take | Command::Reopen { .. } => None,
        Command::AskComplement(c) => {
            let mut items = c.documents.clone();
            items.extend(c.answers.iter().cloned());
            Some(guichet_notify::emails::complement_requested(
                &owner_email(conn, &d)?,
                &number(&d),
                def.title(),
                &items,
                &c.message,
                &links.dossier(&d),
            ))
        }
        Command::Close { .. } => Some(guichet_notify::emails::decision(
            &owner_email(conn, &d)?,
            &number(&d),
            def.title(),
            "classée sans suite",
            &links.dossier(&d),
        )),
    };
    match command {
        Command::AskComplement(c)
            if c.documents.is_empty() && c.answers.is_empty() && c.message.trim().is_empty() =>
        {
            return Err(CaseError::Invalid(vec![Invalid::new(
                "complement-pieces",
                "Choisissez au moins un document ou une réponse à compléter, ou écrivez un message",
            )]));
        }
        Command::Close { reason } if reason.trim().is_empty() => {
            return Err(CaseError::Invalid(vec![Invalid::new(
                "classer-motif",
                "Saisissez le motif du classement sans suite",
            )]));
        }
        Command::Reopen { reason } if reason.trim().is_empty() => {
            return Err(CaseError::Invalid(vec![Invalid::new(
                "rouvrir-motif",
                "Saisissez la raison de la réouverture",
            )]));
        }
        Command::AskComplement(c) => {
            let reviews = guichet_dossiers::reviews::of(conn, &d.id)?;
            let on = d.deposited_at.map_or_else(crate::deadlines::today, |t| t.date());
            crate::complement::check_request(def, &d, &reviews, c, on)?;
        }
        _ => {}
    }
    Ok(instruction::act(
        conn,
        &d.id,
        expected_version,
        staff.actor,
        staff.id(),
        command,
        email.as_ref(),
    )?)
}

/// A decision as typed, before the right's own rules are applied.
#[derive(Debug, Clone, Default)]
pub struct DecisionForm {
    pub outcome: Option<Outcome>,
    pub amount: Option<Euros>,
    pub period_start: Option<chrono::NaiveDate>,
    pub period_end: Option<chrono::NaiveDate>,
    pub rate: Option<Rate>,
    pub motivation: String,
    pub session_id: Option<String>,
    /// The person ticked « Je confirme cette décision » (a decision cannot be undone).
    pub confirmed: bool,
    /// What the edge could not read (an amount or a date typed wrong), reported with the rest.
    pub unreadable: Vec<Invalid>,
}

/// Checks a decision against what its right needs, and names each problem by field (`{prefix}-motivation`).
pub fn check_decision(
    def: &FormDefinition,
    right: &Right,
    form: &DecisionForm,
    prefix: &str,
) -> Result<RightDecision> {
    // One message per field: what the edge could not read says more than « missing ».
    fn push(errors: &mut Vec<Invalid>, e: Invalid) {
        if !errors.iter().any(|x| x.field == e.field) {
            errors.push(e);
        }
    }
    let mut errors = form.unreadable.clone();
    let spec = def.right(&right.code);
    let outcome = form.outcome.unwrap_or_else(|| {
        errors.push(Invalid::new(
            format!("{prefix}-decision"),
            format!("Choisissez la décision pour « {} »", right.label),
        ));
        Outcome::Refus
    });
    if form.motivation.trim().is_empty() {
        // CRPA L211-2: a refusal is motivated; a grant is too, so the letter says on what it rests.
        push(
            &mut errors,
            Invalid::new(
                format!("{prefix}-motivation"),
                format!("Saisissez la motivation de la décision pour « {} »", right.label),
            ),
        );
    }
    let granted = outcome == Outcome::Accord;
    if granted && right.unit != Unit::None && form.amount.is_none() {
        push(
            &mut errors,
            Invalid::new(
                format!("{prefix}-montant"),
                format!(
                    "Saisissez le montant accordé pour « {} », par exemple 1 201,61",
                    right.label
                ),
            ),
        );
    }
    if granted && form.period_start.is_none() {
        push(
            &mut errors,
            Invalid::new(
                format!("{prefix}-debut"),
                format!("Saisissez la date de début du droit « {} »", right.label),
            ),
        );
    }
    if let (Some(s), Some(e)) = (form.period_start, form.period_end)
        && e < s
    {
        push(
            &mut errors,
            Invalid::new(
                format!("{prefix}-fin"),
                "La date de fin doit être après la date de début",
            ),
        );
    }
    let wants_rate = spec.is_some_and(|s| s.rate);
    if wants_rate && outcome != Outcome::SansObjet && form.rate.is_none() {
        push(
            &mut errors,
            Invalid::new(
                format!("{prefix}-taux"),
                format!("Choisissez le taux d’incapacité retenu pour « {} »", right.label),
            ),
        );
    }
    if !form.confirmed {
        push(
            &mut errors,
            Invalid::new(
                format!("{prefix}-confirmation"),
                "Cochez la case pour confirmer cette décision : elle ne pourra plus être modifiée",
            ),
        );
    }
    if !errors.is_empty() {
        return Err(CaseError::Invalid(errors));
    }
    Ok(RightDecision {
        outcome,
        amount: form.amount.filter(|_| granted && right.unit != Unit::None),
        period_start: form.period_start.filter(|_| granted),
        period_end: form.period_end.filter(|_| granted),
        rate: form.rate.filter(|_| wants_rate),
        motivation: form.motivation.trim().to_owned(),
        legal_basis: spec.map(|s| s.legal_basis.clone()).unwrap_or_default(),
        session_id: form.session_id.clone(),
    })
}

/// Decides one right; the last one decides the dossier (and sends the decision email).
#[allow(clippy::too_many_arguments)]
pub fn decide_right(
    conn: &mut AnyConnection,
    links: &Links,
    staff: &Staff,
    def: &FormDefinition,
    id: &str,
    expected_version: i32,
    code: &str,
    form: &DecisionForm,
) -> Result<Dossier> {
    let (d, _) = acting(conn, staff, id, Need::Decide)?;
    let right = rights::of(conn, &d.id)?
        .into_iter()
        .find(|r| r.code == code && r.is_open())
        .ok_or(CaseError::NotFound)?;
    // --- commission: a CDAPH right is decided at a sitting, a CMI after its assessment (CASF L241-3).
    crate::commission::may_decide_alone(conn, def, &d, &right)?;
    let decision = check_decision(def, &right, form, &format!("droit-{code}"))?;
    let email = decision_email(conn, links, &d, def)?;
    Ok(rights::decide(
        conn,
        &d.id,
        expected_version,
        staff.id(),
        code,
        &decision,
        Some(&email),
    )?)
}

/// The rights a definition's answers request, as rows to record.
pub fn requested(def: &FormDefinition, answers: &guichet_forms::Answers) -> Vec<NewRight> {
    def.requested_rights(answers).into_iter().map(new_right).collect()
}

/// A definition's right as a row to record.
pub fn new_right(r: &guichet_forms::RightDef) -> NewRight {
    NewRight {
        code: r.id.clone(),
        label: r.label.clone(),
        authority: match r.authority {
            guichet_forms::Authority::Cdaph => rights::Authority::Cdaph,
            guichet_forms::Authority::PresidentCd => rights::Authority::PresidentCd,
        },
        unit: match r.unit {
            guichet_forms::AmountUnit::None => Unit::None,
            guichet_forms::AmountUnit::PerMonth => Unit::PerMonth,
            guichet_forms::AmountUnit::PerYear => Unit::PerYear,
            guichet_forms::AmountUnit::OneOff => Unit::OneOff,
            guichet_forms::AmountUnit::Total => Unit::Total,
        },
    }
}

/// An instructor adds one of the definition's rights that the answers did not request.
pub fn add_right(
    conn: &mut AnyConnection,
    staff: &Staff,
    def: &FormDefinition,
    id: &str,
    expected_version: i32,
    code: &str,
) -> Result<Dossier> {
    let (d, _) = acting(conn, staff, id, Need::Act)?;
    let spec = def.right(code).ok_or_else(|| {
        CaseError::Invalid(vec![Invalid::new(
            "ajouter-droit",
            "Choisissez un droit de la liste",
        )])
    })?;
    Ok(rights::add(
        conn,
        &d.id,
        expected_version,
        staff.id(),
        &new_right(spec),
    )?)
}

/// An instructor withdraws a right recorded by mistake, with a reason.
#[allow(clippy::too_many_arguments)]
pub fn withdraw_right(
    conn: &mut AnyConnection,
    links: &Links,
    staff: &Staff,
    def: &FormDefinition,
    id: &str,
    expected_version: i32,
    code: &str,
    reason: &str,
) -> Result<Dossier> {
    let (d, _) = acting(conn, staff, id, Need::Act)?;
    if reason.trim().is_empty() {
        return Err(CaseError::Invalid(vec![Invalid::new(
            format!("retirer-{code}-motif"),
            "Saisissez pourquoi ce droit est retiré de la demande",
        )]));
    }
    let open = rights::of(conn, &d.id)?
        .iter()
        .filter(|r| r.withdrawn_at.is_none())
        .count();
    if open <= 1 {
        return Err(CaseError::Refused(
            "C’est le seul droit de la demande : classez le dossier sans suite plutôt que de le retirer."
                .into(),
        ));
    }
    let email = decision_email(conn, links, &d, def)?;
    Ok(rights::withdraw(
        conn,
        &d.id,
        expected_version,
        staff.id(),
        code,
        reason.trim(),
        Some(&email),
    )?)
}

/// The pending complement request of a dossier, if any.
pub fn pending_complement(conn: &mut AnyConnection, d: &Dossier) -> Result<Option<Complement>> {
    Ok(instruction::pending_complement(conn, d)?)
}

/// Assigns the dossier to a member of its service (or nobody).
pub fn assign(
    conn: &mut AnyConnection,
    staff: &Staff,
    id: &str,
    expected_version: i32,
    assignee: Option<&str>,
) -> Result<Dossier> {
    let (d, _) = acting(conn, staff, id, Need::Act)?;
    if let Some(a) = assignee {
        let ok = guichet_accounts::services::of_user(conn, a)?
            .iter()
            .any(|s| s.code == d.service_code);
        if !ok {
            return Err(CaseError::Invalid(vec![Invalid::new(
                "agent",
                "Cette personne n’est pas membre du service qui instruit le dossier",
            )]));
        }
    }
    Ok(instruction::assign(
        conn,
        &d.id,
        expected_version,
        staff.id(),
        assignee,
    )?)
}

/// A private note, never shown to the usager.
pub fn add_note(conn: &mut AnyConnection, staff: &Staff, id: &str, text: &str) -> Result<()> {
    let (d, _) = acting(conn, staff, id, Need::Act)?;
    let text: String = text.trim().chars().take(5000).collect();
    if text.is_empty() {
        return Err(CaseError::Invalid(vec![Invalid::new(
            "note",
            "Écrivez la note avant de l’enregistrer",
        )]));
    }
    Ok(instruction::add_note(conn, &d.id, staff.id(), &text)?)
}
