//! The MDPH's instruction up to the CDAPH (CASF L146-8, L241-5 to L241-9, R241-24 to R241-35; L241-3 for
//! the CMI): the request is declared recevable, the équipe pluridisciplinaire proposes a decision on each
//! right, the dossier is put on the agenda of a dated sitting of the CDAPH, whose decisions are entered on
//! one screen for the whole sitting. Each decision goes through [`crate::instruction::check_decision`] and
//! [`guichet_dossiers::rights::decide`], as on the dossier page: there is one decision path. The rights of
//! the président du conseil départemental (the CMI) are assessed at the sitting and signed apart, from the
//! dossier page, once a sitting has examined the dossier.

use std::sync::Arc;

use chrono::NaiveDate;
use guichet_db::AnyConnection;
use guichet_dossiers::commission::{self as sittings, Formation, NewSession, Session};
use guichet_dossiers::rights::{self, Authority, Outcome, Proposal, Rate, Right, Unit};
use guichet_dossiers::store::{self, Dossier};
use guichet_dossiers::{DossierError, State};
use guichet_forms::{FormDefinition, french_date};
use guichet_types::{DossierNumber, Euros};

use crate::catalogue::Procedures;
use crate::error::{CaseError, Invalid, Result};
use crate::instruction::{DecisionForm, Links, Need, Staff, acting, check_decision, decision_email};

/// True when some rights of the procedure are decided by the CDAPH: its dossiers go through the stages
/// and sittings of this module.
pub fn uses_commission(def: &FormDefinition) -> bool {
    def.rights()
        .iter()
        .any(|r| r.authority == guichet_forms::Authority::Cdaph)
}

/// The services whose procedures go to the CDAPH (`mdph`, `pch`).
pub fn commission_services(procedures: &Procedures) -> Vec<String> {
    let mut codes: Vec<String> = procedures
        .all()
        .filter(|p| uses_commission(&p.def))
        .map(|p| p.service_code.clone())
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// The services whose sittings this person sees: those of the CDAPH they are a member of. Health data stays
/// in the service (the agenda names the people, the entry screen shows the proposals), administrators
/// included.
pub fn services_of(staff: &Staff, procedures: &Procedures) -> Vec<String> {
    commission_services(procedures)
        .into_iter()
        .filter(|c| staff.viewer.services.contains(c))
        .collect()
}

/// Where the dossier stands, for the back office: « Recevable : … », or nothing before.
pub fn stage_label(stage: Option<&str>) -> Option<&'static str> {
    match stage? {
        sittings::STAGE_RECEVABLE => {
            Some("Recevable : en attente de l’évaluation de l’équipe pluridisciplinaire")
        }
        sittings::STAGE_EVALUATION => Some("Évaluation par l’équipe pluridisciplinaire"),
        sittings::STAGE_COMMISSION => Some("Présentée à la commission des droits et de l’autonomie (CDAPH)"),
        _ => None,
    }
}

/// « Séance plénière du 12 janvier 2027 – Bobigny (Adultes) ».
pub fn session_title(s: &Session) -> String {
    let mut t = format!(
        "Séance {} du {} – {}",
        s.formation.label(),
        french_date(s.date),
        s.place
    );
    if !s.label.is_empty() {
        t.push_str(&format!(" ({})", s.label));
    }
    t
}

fn refused(message: impl Into<String>) -> CaseError {
    CaseError::Refused(message.into())
}

fn number(d: &Dossier) -> String {
    d.number.as_ref().map(ToString::to_string).unwrap_or_default()
}

// ------------------------------------------------------------------------------------ recevable, proposals

/// The MDPH declares the request complete (recevable): the équipe pluridisciplinaire evaluates it.
pub fn mark_recevable(
    conn: &mut AnyConnection,
    staff: &Staff,
    def: &FormDefinition,
    id: &str,
    expected_version: i32,
) -> Result<Dossier> {
    let (d, _) = acting(conn, staff, id, Need::Act)?;
    if !uses_commission(def) {
        return Err(CaseError::NotFound);
    }
    if d.state != State::EnInstruction {
        return Err(refused(
            "Prenez d’abord le dossier en charge : il sera ensuite déclaré recevable.",
        ));
    }
    if d.complement_demande {
        return Err(refused(
            "Un complément est demandé à l’usager : la demande sera recevable une fois complétée.",
        ));
    }
    if d.stage.is_some() {
        return Err(refused("La demande est déjà déclarée recevable."));
    }
    Ok(sittings::mark_recevable(
        conn,
        &d.id,
        expected_version,
        staff.id(),
    )?)
}

/// A proposal as typed, before the right's own rules are applied.
#[derive(Debug, Clone, Default)]
pub struct ProposalForm {
    pub outcome: Option<Outcome>,
    pub amount: Option<Euros>,
    pub rate: Option<Rate>,
    /// The proposed motivation, written for the usager (it prefills the CDAPH's decision).
    pub note: String,
    /// What the edge could not read, reported with the rest.
    pub unreadable: Vec<Invalid>,
}

/// The field keys of a right's proposal form: `proposer-{code}-decision`, `-montant`, `-taux`, `-note`.
pub fn proposal_prefix(code: &str) -> String {
    format!("proposer-{code}")
}

/// Checks a proposal against what its right needs (the same needs as its decision, CRPA L211-2 for the
/// motivation it prepares).
pub fn check_proposal(
    def: &FormDefinition,
    right: &Right,
    form: &ProposalForm,
    prefix: &str,
) -> Result<Proposal> {
    let mut errors = form.unreadable.clone();
    let mut push = |e: Invalid| {
        if !errors.iter().any(|x| x.field == e.field) {
            errors.push(e);
        }
    };
    let outcome = form.outcome.unwrap_or_else(|| {
        push(Invalid::new(
            format!("{prefix}-decision"),
            format!("Choisissez la proposition pour « {} »", right.label),
        ));
        Outcome::Refus
    });
    if form.note.trim().is_empty() {
        push(Invalid::new(
            format!("{prefix}-note"),
            format!("Saisissez la motivation proposée pour « {} »", right.label),
        ));
    }
    let granted = form.outcome == Some(Outcome::Accord);
    if granted && right.unit != Unit::None && form.amount.is_none() {
        push(Invalid::new(
            format!("{prefix}-montant"),
            format!(
                "Saisissez le montant proposé pour « {} », par exemple 1 033,32",
                right.label
            ),
        ));
    }
    let wants_rate = def.right(&right.code).is_some_and(|s| s.rate);
    if wants_rate && form.outcome.is_some_and(|o| o != Outcome::SansObjet) && form.rate.is_none() {
        push(Invalid::new(
            format!("{prefix}-taux"),
            format!("Choisissez le taux d’incapacité proposé pour « {} »", right.label),
        ));
    }
    if !errors.is_empty() {
        return Err(CaseError::Invalid(errors));
    }
    Ok(Proposal {
        outcome,
        note: form.note.trim().to_owned(),
        amount: form.amount.filter(|_| granted && right.unit != Unit::None),
        rate: form.rate.filter(|_| wants_rate),
    })
}

/// The équipe pluridisciplinaire's proposal on one right (internal: the usager learns the decision).
#[allow(clippy::too_many_arguments)]
pub fn propose_right(
    conn: &mut AnyConnection,
    staff: &Staff,
    def: &FormDefinition,
    id: &str,
    expected_version: i32,
    code: &str,
    form: &ProposalForm,
) -> Result<Dossier> {
    let (d, _) = acting(conn, staff, id, Need::Act)?;
    if !uses_commission(def) {
        return Err(CaseError::NotFound);
    }
    match d.stage.as_deref() {
        Some(sittings::STAGE_RECEVABLE | sittings::STAGE_EVALUATION) => {}
        Some(sittings::STAGE_COMMISSION) if sittings::pending_session_of(conn, &d.id)?.is_none() => {}
        Some(sittings::STAGE_COMMISSION) => {
            return Err(refused(
                "Le dossier est inscrit à une séance de la CDAPH : retirez-le de la séance pour changer une proposition.",
            ));
        }
        _ => {
            return Err(refused(
                "Déclarez d’abord la demande recevable : l’équipe pluridisciplinaire évalue ensuite chaque droit.",
            ));
        }
    }
    let right = rights::of(conn, &d.id)?
        .into_iter()
        .find(|r| r.code == code && r.is_open())
        .ok_or(CaseError::NotFound)?;
    let proposal = check_proposal(def, &right, form, &proposal_prefix(code))?;
    Ok(sittings::propose(
        conn,
        &d.id,
        expected_version,
        staff.id(),
        code,
        &proposal,
    )?)
}

/// Refuses the per-right decision form where the law wants a sitting: a CDAPH right is decided at a
/// sitting (CASF L241-5, L241-6), a CMI once a sitting has assessed the dossier (L241-3).
pub fn may_decide_alone(
    conn: &mut AnyConnection,
    def: &FormDefinition,
    d: &Dossier,
    right: &Right,
) -> Result<()> {
    if !uses_commission(def) {
        return Ok(());
    }
    match right.authority {
        Authority::Cdaph => Err(refused(
            "Ce droit est décidé par la CDAPH : inscrivez le dossier à une séance de la commission et saisissez la décision sur l’écran de la séance.",
        )),
        Authority::PresidentCd if !sittings::examined(conn, &d.id)? => Err(refused(
            "Ce droit est décidé par le président du conseil départemental au vu de l’appréciation de la CDAPH : présentez d’abord le dossier à une séance de la commission (CASF L241-3).",
        )),
        Authority::PresidentCd => Ok(()),
    }
}

// --------------------------------------------------------------------------------------------- sittings

/// A sitting to create, as typed.
#[derive(Debug, Clone, Default)]
pub struct SessionForm {
    pub service_code: String,
    pub date: Option<NaiveDate>,
    pub place: String,
    pub formation: Option<Formation>,
    pub label: String,
    /// What the edge could not read (a date typed wrong).
    pub unreadable: Vec<Invalid>,
}

/// Creates a sitting for one of the person's CDAPH services.
pub fn create_session(
    conn: &mut AnyConnection,
    staff: &Staff,
    procedures: &Procedures,
    form: &SessionForm,
) -> Result<Session> {
    let services = services_of(staff, procedures);
    if services.is_empty() {
        return Err(CaseError::NotFound);
    }
    let mut errors = form.unreadable.clone();
    let mut push = |e: Invalid| {
        if !errors.iter().any(|x| x.field == e.field) {
            errors.push(e);
        }
    };
    let service = if services.len() == 1 && form.service_code.is_empty() {
        services[0].clone()
    } else {
        form.service_code.clone()
    };
    if !services.contains(&service) {
        push(Invalid::new(
            "seance-service",
            "Choisissez la démarche dont la séance examine les dossiers",
        ));
    }
    let today = crate::deadlines::today();
    match form.date {
        None => push(Invalid::new(
            "seance-date",
            "Saisissez la date de la séance, au format jj/mm/aaaa, par exemple 12/01/2027",
        )),
        // A typo (2207 for 2027) would date every decision of the sitting wrong.
        Some(d) if d < today - chrono::Duration::days(366) || d > today + chrono::Duration::days(731) => {
            push(Invalid::new(
                "seance-date",
                "La date de la séance doit être dans l’année passée ou les deux années à venir",
            ))
        }
        Some(_) => {}
    }
    let place: String = form.place.trim().chars().take(200).collect();
    if place.is_empty() {
        push(Invalid::new(
            "seance-lieu",
            "Saisissez le lieu de la séance, par exemple Bobigny",
        ));
    }
    if form.formation.is_none() {
        push(Invalid::new(
            "seance-formation",
            "Choisissez la formation de la commission : plénière ou restreinte",
        ));
    }
    if !errors.is_empty() {
        return Err(CaseError::Invalid(errors));
    }
    let (Some(date), Some(formation)) = (form.date, form.formation) else {
        return Err(CaseError::Internal("checked above".into()));
    };
    Ok(sittings::create(
        conn,
        &NewSession {
            service_code: service,
            date,
            place,
            formation,
            label: form.label.trim().chars().take(200).collect(),
        },
        staff.id(),
    )?)
}

/// The sittings of the person's CDAPH services, the most recent first, with their number of dossiers.
pub fn sessions(
    conn: &mut AnyConnection,
    staff: &Staff,
    procedures: &Procedures,
) -> Result<Vec<(Session, i64)>> {
    let services = services_of(staff, procedures);
    if services.is_empty() {
        return Err(CaseError::NotFound);
    }
    Ok(sittings::list(conn, &services)?)
}

/// A sitting the person may see; outside their services it does not exist.
pub fn session(
    conn: &mut AnyConnection,
    staff: &Staff,
    procedures: &Procedures,
    id: &str,
) -> Result<Session> {
    let s = sittings::find(conn, id)?.ok_or(CaseError::NotFound)?;
    if !services_of(staff, procedures).contains(&s.service_code) {
        return Err(CaseError::NotFound);
    }
    Ok(s)
}

/// One dossier of a sitting, with what its pages need.
#[derive(Debug, Clone)]
pub struct SittingDossier {
    pub dossier: Dossier,
    pub def: Arc<FormDefinition>,
    pub rights: Vec<Right>,
    /// The proposed amount and rate of each proposed right: (code, amount, rate).
    pub terms: Vec<rights::ProposedTerms>,
    /// Why this person may not enter its decisions (their own request, a relative's), if so.
    pub barred: Option<String>,
}

impl SittingDossier {
    /// The rights the sitting decides: the CDAPH's, still open.
    pub fn to_decide(&self) -> impl Iterator<Item = &Right> {
        self.rights
            .iter()
            .filter(|r| r.is_open() && r.authority == Authority::Cdaph)
    }

    /// The rights the sitting only assesses (the CMI), still open.
    pub fn to_sign(&self) -> impl Iterator<Item = &Right> {
        self.rights
            .iter()
            .filter(|r| r.is_open() && r.authority == Authority::PresidentCd)
    }

    pub fn terms_of(&self, code: &str) -> (Option<Euros>, Option<Rate>) {
        self.terms
            .iter()
            .find(|(c, _, _)| c == code)
            .map_or((None, None), |(_, a, r)| (*a, *r))
    }

    /// Its decisions are still to enter at the sitting.
    pub fn pending(&self) -> bool {
        self.dossier.state == State::EnInstruction && self.to_decide().next().is_some()
    }
}

fn sitting_dossier(
    conn: &mut AnyConnection,
    staff: &Staff,
    procedures: &Procedures,
    d: Dossier,
) -> Result<SittingDossier> {
    let def = procedures.definition_of_version(conn, &d.form_version_id)?;
    let barred = match acting(conn, staff, &d.id, Need::Decide) {
        Ok(_) => None,
        Err(CaseError::Denied(m)) => Some(m.to_owned()),
        Err(e) => return Err(e),
    };
    Ok(SittingDossier {
        rights: rights::of(conn, &d.id)?,
        terms: rights::proposed_terms(conn, &d.id)?,
        dossier: d,
        def,
        barred,
    })
}

/// The dossiers on a sitting's agenda, in order.
pub fn agenda(
    conn: &mut AnyConnection,
    staff: &Staff,
    procedures: &Procedures,
    s: &Session,
) -> Result<Vec<SittingDossier>> {
    let mut out = Vec::new();
    for id in sittings::dossiers_of(conn, &s.id)? {
        let Some(d) = store::find(conn, &id)? else {
            continue;
        };
        out.push(sitting_dossier(conn, staff, procedures, d)?);
    }
    Ok(out)
}

/// Why a dossier cannot go on a sitting's agenda, in French, if it cannot.
fn not_ready(conn: &mut AnyConnection, d: &Dossier, rights: &[Right]) -> Result<Option<String>> {
    let n = number(d);
    if d.state != State::EnInstruction {
        return Ok(Some(format!(
            "Le dossier {n} n’est pas en instruction (« {} ») : il ne peut pas être présenté à la commission.",
            d.state.label()
        )));
    }
    if d.complement_demande {
        return Ok(Some(format!(
            "Le dossier {n} attend le complément demandé à l’usager : il sera présenté à la commission une fois complété."
        )));
    }
    if let Some(s) = sittings::pending_session_of(conn, &d.id)? {
        return Ok(Some(format!(
            "Le dossier {n} est déjà inscrit à la séance du {}.",
            french_date(s.date)
        )));
    }
    let open: Vec<&Right> = rights.iter().filter(|r| r.is_open()).collect();
    if open.is_empty() {
        return Ok(Some(format!("Le dossier {n} n’a plus de droit à décider.")));
    }
    let missing: Vec<String> = open
        .iter()
        .filter(|r| r.proposal.is_none())
        .map(|r| format!("« {} »", r.label))
        .collect();
    if !missing.is_empty() || d.stage.is_none() || d.stage.as_deref() == Some(sittings::STAGE_RECEVABLE) {
        let which = if missing.is_empty() {
            String::new()
        } else {
            format!(" (reste : {})", missing.join(", "))
        };
        return Ok(Some(format!(
            "Le dossier {n} ne peut pas encore être présenté à la commission : l’équipe pluridisciplinaire doit d’abord faire une proposition sur chaque droit{which}."
        )));
    }
    Ok(None)
}

/// The dossiers of the sitting's service ready for its agenda (every open right proposed).
pub fn ready_dossiers(conn: &mut AnyConnection, staff: &Staff, s: &Session) -> Result<Vec<Dossier>> {
    let mut out = Vec::new();
    for d in sittings::candidates(conn, &s.service_code, 200)? {
        if staff.viewer.conflicts_with(&d.applicant_name) || d.owner_id == staff.id() {
            continue;
        }
        let rs = rights::of(conn, &d.id)?;
        if not_ready(conn, &d, &rs)?.is_none() {
            out.push(d);
        }
    }
    Ok(out)
}

/// Puts dossiers on the agenda: those ticked (`ids`) and the one whose number was typed. All or nothing:
/// each refusal is named by its field (`ajouter-dossiers`, `ajouter-numero`).
pub fn add_dossiers(
    conn: &mut AnyConnection,
    staff: &Staff,
    procedures: &Procedures,
    session_id: &str,
    ids: &[String],
    typed_number: &str,
) -> Result<Vec<Dossier>> {
    let s = session(conn, staff, procedures, session_id)?;
    if s.is_held() {
        return Err(refused(
            "La séance est tenue : on ne peut plus y inscrire de dossier.",
        ));
    }
    let typed_number = typed_number.trim();
    if ids.is_empty() && typed_number.is_empty() {
        return Err(CaseError::Invalid(vec![Invalid::new(
            "ajouter-dossiers",
            "Cochez au moins un dossier, ou saisissez le numéro d’un dossier",
        )]));
    }
    let mut wanted: Vec<(&'static str, Dossier)> = Vec::new();
    let mut errors = Vec::new();
    for id in ids {
        match store::find(conn, id)? {
            Some(d) if d.service_code == s.service_code => wanted.push(("ajouter-dossiers", d)),
            _ => errors.push(Invalid::new(
                "ajouter-dossiers",
                "Un dossier coché n’existe plus dans ce service : rechargez la page",
            )),
        }
    }
    if !typed_number.is_empty() {
        let found = match DossierNumber::parse(typed_number) {
            Ok(n) => store::find_by_number(conn, &n)?.filter(|d| d.service_code == s.service_code),
            Err(_) => None,
        };
        match found {
            Some(d) => wanted.push(("ajouter-numero", d)),
            None => errors.push(Invalid::new(
                "ajouter-numero",
                format!(
                    "Aucun dossier de ce service ne porte le numéro « {typed_number} » : vérifiez-le, par exemple MDPH-2026-000012"
                ),
            )),
        }
    }
    for (field, d) in &wanted {
        match acting(conn, staff, &d.id, Need::Decide) {
            Ok(_) => {}
            Err(CaseError::Denied(m)) => {
                errors.push(Invalid::new(*field, m));
                continue;
            }
            Err(CaseError::NotFound) => {
                errors.push(Invalid::new(*field, "Ce dossier n’existe pas dans ce service"));
                continue;
            }
            Err(e) => return Err(e),
        }
        let rs = rights::of(conn, &d.id)?;
        if let Some(m) = not_ready(conn, d, &rs)? {
            errors.push(Invalid::new(*field, m));
        }
    }
    if !errors.is_empty() {
        return Err(CaseError::Invalid(errors));
    }
    guichet_db::write_transaction(conn, |conn| {
        let mut added = Vec::new();
        for (_, d) in &wanted {
            if added.iter().any(|a: &Dossier| a.id == d.id) {
                continue;
            }
            added.push(sittings::add_dossier(
                conn,
                &s.id,
                &d.id,
                d.lock_version,
                staff.id(),
            )?);
        }
        Ok::<_, CaseError>(added)
    })
}

/// Takes a dossier off a sitting not yet held, before its decisions there: back to evaluation.
pub fn remove_dossier(
    conn: &mut AnyConnection,
    staff: &Staff,
    procedures: &Procedures,
    session_id: &str,
    dossier_id: &str,
    expected_version: i32,
) -> Result<Dossier> {
    let s = session(conn, staff, procedures, session_id)?;
    if s.is_held() {
        return Err(refused(
            "La séance est tenue : ses dossiers ne peuvent plus en être retirés.",
        ));
    }
    let (d, _) = acting(conn, staff, dossier_id, Need::Decide)?;
    if !sittings::dossiers_of(conn, &s.id)?.contains(&d.id) {
        return Err(CaseError::NotFound);
    }
    if rights::of(conn, &d.id)?
        .iter()
        .any(|r| r.session_id.as_deref() == Some(s.id.as_str()))
    {
        return Err(refused(
            "Des décisions de cette séance sont déjà enregistrées pour ce dossier : il ne peut plus en être retiré.",
        ));
    }
    Ok(sittings::remove_dossier(
        conn,
        &s.id,
        &d.id,
        expected_version,
        staff.id(),
    )?)
}

// ---------------------------------------------------------------------------------------- batch entry

/// The field keys of a right's line on the entry screen: `s-{dossier id}-{code}` then `-decision`,
/// `-montant`, `-debut`, `-fin`, `-taux`, `-motivation`.
pub fn line_prefix(dossier_id: &str, code: &str) -> String {
    format!("s-{dossier_id}-{code}")
}

/// The key of a dossier's own line (its version, and what concerns it as a whole).
pub fn dossier_key(dossier_id: &str) -> String {
    format!("s-{dossier_id}")
}

/// One dossier's lines as typed on the entry screen.
#[derive(Debug, Clone, Default)]
pub struct DossierEntry {
    pub dossier_id: String,
    /// The dossier's version when the screen was shown.
    pub version: i32,
    /// (right code, decision as typed).
    pub rights: Vec<(String, DecisionForm)>,
}

/// What one submit of the entry screen did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SittingOutcome {
    /// The dossiers whose decisions were written.
    pub written: Vec<String>,
    /// The dossiers left untouched, with their field errors (keys of [`line_prefix`] and
    /// [`dossier_key`]).
    pub errors: Vec<(String, Vec<Invalid>)>,
    /// Every decision of the sitting is recorded: it is held.
    pub held: bool,
}

/// Records the sitting's decisions: per dossier all or nothing (a dossier whose line has an error is
/// reported and nothing of it written; the others are written), each right through the one decision path
/// (`check_decision` then `rights::decide`, the sitting named). Once no dossier of the sitting has a CDAPH
/// right to decide, the sitting is marked held.
#[allow(clippy::too_many_arguments)]
pub fn record_sitting(
    conn: &mut AnyConnection,
    links: &Links,
    staff: &Staff,
    procedures: &Procedures,
    session_id: &str,
    confirmed: bool,
    entries: &[DossierEntry],
) -> Result<SittingOutcome> {
    let s = session(conn, staff, procedures, session_id)?;
    if s.is_held() {
        return Err(refused(
            "Les décisions de cette séance sont déjà enregistrées : la séance est tenue, on ne la saisit pas deux fois.",
        ));
    }
    if s.date > crate::deadlines::today() {
        return Err(refused(format!(
            "La séance du {} n’a pas encore eu lieu : ses décisions se saisissent à partir du jour de la séance.",
            french_date(s.date)
        )));
    }
    if !confirmed {
        return Err(CaseError::Invalid(vec![Invalid::new(
            "seance-confirmation",
            "Cochez la case pour confirmer ces décisions de la commission : elles ne pourront plus être modifiées",
        )]));
    }
    let mut out = SittingOutcome::default();
    for line in agenda(conn, staff, procedures, &s)? {
        if !line.pending() || line.barred.is_some() {
            continue;
        }
        let d = &line.dossier;
        let Some(entry) = entries.iter().find(|e| e.dossier_id == d.id) else {
            // Put on the agenda after the screen was shown: entered next time.
            continue;
        };
        let mut decisions = Vec::new();
        let mut errors = Vec::new();
        for r in line.to_decide() {
            let mut form = entry
                .rights
                .iter()
                .find(|(c, _)| c == &r.code)
                .map(|(_, f)| f.clone())
                .unwrap_or_default();
            form.confirmed = true;
            form.session_id = Some(s.id.clone());
            match check_decision(&line.def, r, &form, &line_prefix(&d.id, &r.code)) {
                Ok(decision) => decisions.push((r.code.clone(), decision)),
                Err(CaseError::Invalid(list)) => errors.extend(list),
                Err(e) => return Err(e),
            }
        }
        if !errors.is_empty() {
            out.errors.push((d.id.clone(), errors));
            continue;
        }
        let email = decision_email(conn, links, d, &line.def)?;
        let written = guichet_db::write_transaction(conn, |conn| {
            let mut version = entry.version;
            for (code, decision) in &decisions {
                let after = rights::decide(conn, &d.id, version, staff.id(), code, decision, Some(&email))?;
                version = after.lock_version;
            }
            Ok::<_, DossierError>(())
        });
        match written {
            Ok(()) => out.written.push(d.id.clone()),
            Err(DossierError::Db(e)) => return Err(CaseError::Db(e)),
            Err(e) => out.errors.push((
                d.id.clone(),
                vec![Invalid::new(dossier_key(&d.id), format!("{} : {e}", number(d)))],
            )),
        }
    }
    let left = agenda(conn, staff, procedures, &s)?
        .iter()
        .any(SittingDossier::pending);
    if !left && out.errors.is_empty() {
        out.held = match sittings::mark_held(conn, &s.id, s.lock_version, staff.id()) {
            Ok(_) => true,
            // The agenda changed meanwhile: its new dossiers are entered next time.
            Err(DossierError::Conflict) => false,
            Err(e) => return Err(e.into()),
        };
    }
    Ok(out)
}

/// The sittings that decided some of these rights (for the letter: « réunie le … »).
pub fn sittings_of_rights(conn: &mut AnyConnection, rights: &[Right]) -> Result<Vec<Session>> {
    let mut ids: Vec<String> = rights.iter().filter_map(|r| r.session_id.clone()).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sittings::find_many(conn, &ids)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    fn mdph() -> FormDefinition {
        match FormDefinition::from_toml(include_str!("../../../forms/mdph.toml"), "mdph.toml") {
            Ok(d) => d,
            Err(e) => panic!("mdph.toml: {e:?}"),
        }
    }

    fn right(def: &FormDefinition, code: &str) -> Right {
        let spec = def.right(code).map(crate::instruction::new_right);
        let spec = spec.unwrap_or_else(|| panic!("no right {code}"));
        Right {
            id: code.into(),
            dossier_id: "d".into(),
            code: code.into(),
            label: spec.label,
            position: 0,
            added_by_instructor: false,
            authority: spec.authority,
            unit: spec.unit,
            withdrawn_at: None,
            withdrawn_reason: None,
            proposal: None,
            proposal_note: None,
            proposed_at: None,
            outcome: None,
            amount: None,
            period_start: None,
            period_end: None,
            rate: None,
            motivation: None,
            legal_basis: None,
            decided_by: None,
            decided_at: None,
            session_id: None,
        }
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn sitting(id: &str, date: NaiveDate) -> Session {
        Session {
            id: id.into(),
            service_code: "mdph".into(),
            date,
            place: "Bobigny".into(),
            formation: Formation::Pleniere,
            label: String::new(),
            created_by: String::new(),
            created_at: NaiveDateTime::default(),
            held_at: None,
            lock_version: 0,
        }
    }

    fn fields(e: CaseError) -> Vec<String> {
        match e {
            CaseError::Invalid(list) => list.into_iter().map(|i| i.field).collect(),
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn a_proposal_needs_what_its_decision_will_need() {
        let def = mdph();
        let aah = right(&def, "aah");
        let empty = check_proposal(&def, &aah, &ProposalForm::default(), "p").err();
        assert_eq!(
            empty.map(fields).unwrap_or_default(),
            ["p-decision", "p-note"],
            "no outcome, no note; amount and rate wait for the outcome"
        );
        let granted = ProposalForm {
            outcome: Some(Outcome::Accord),
            note: "Taux d’au moins 80 %.".into(),
            ..ProposalForm::default()
        };
        let e = check_proposal(&def, &aah, &granted, "p").err();
        assert_eq!(e.map(fields).unwrap_or_default(), ["p-montant", "p-taux"]);
        let full = ProposalForm {
            amount: Some(Euros::from_cents(103_332)),
            rate: Some(Rate::Ge80),
            ..granted.clone()
        };
        let p = check_proposal(&def, &aah, &full, "p").ok();
        assert_eq!(
            p.as_ref().and_then(|p| p.amount),
            Some(Euros::from_cents(103_332))
        );
        // A refusal proposes no amount, whatever was typed; a right without rate keeps none.
        let refused = ProposalForm {
            outcome: Some(Outcome::Refus),
            ..full
        };
        let p = check_proposal(&def, &aah, &refused, "p").ok();
        assert_eq!(
            p.as_ref().map(|p| (p.amount, p.rate)),
            Some((None, Some(Rate::Ge80)))
        );
        let rqth = right(&def, "rqth");
        let p = check_proposal(&def, &rqth, &refused, "p").ok();
        assert_eq!(p.map(|p| p.rate), Some(None));
    }

    #[test]
    fn the_letter_names_the_sitting_and_bears_its_date_when_it_took_every_decision() {
        let def = mdph();
        let mut aah = right(&def, "aah");
        aah.outcome = Some(Outcome::Accord);
        aah.session_id = Some("s1".into());
        let mut rqth = right(&def, "rqth");
        rqth.outcome = Some(Outcome::Refus);
        rqth.session_id = Some("s1".into());
        let d = Dossier {
            id: "d".into(),
            number: DossierNumber::parse("MDPH-2026-000001").ok(),
            procedure: "mdph".into(),
            service_code: "mdph".into(),
            form_version_id: String::new(),
            owner_id: String::new(),
            state: State::Decide,
            complement_demande: false,
            answers: serde_json::Value::Null,
            pending_answers: None,
            current_step: None,
            applicant_name: "Karim Bernard".into(),
            deposited_at: None,
            due_at: None,
            clock_paused_at: None,
            assigned_to: None,
            decided_at: day(2027, 1, 20).and_hms_opt(10, 0, 0),
            closing_reason: None,
            complement_recu: false,
            stage: None,
            complete_at: None,
            implicit_at: None,
            lock_version: 3,
            created_at: NaiveDateTime::default(),
            updated_at: NaiveDateTime::default(),
        };
        let identity = crate::letters::Identity::default();
        let sittings = [sitting("s1", day(2027, 1, 12)), sitting("other", day(2027, 1, 5))];
        let letter =
            crate::letters::decision_at_sittings(&identity, &def, &d, &[aah.clone(), rqth], &sittings);
        let letter = letter.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            letter.date,
            day(2027, 1, 12),
            "the sitting's date, not the entry's"
        );
        assert!(
            letter.authority_sentence.starts_with(
                "La Commission des droits et de l’autonomie des personnes handicapées (CDAPH), réunie le 12 janvier 2027, a pris"
            ),
            "{}",
            letter.authority_sentence
        );
        // The CMI signed later by the président: the letter is dated that day, both authorities named.
        let mut cmi = right(&def, "cmi_invalidite");
        cmi.outcome = Some(Outcome::Refus);
        let letter = crate::letters::decision_at_sittings(&identity, &def, &d, &[aah, cmi], &sittings);
        let letter = letter.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(letter.date, day(2027, 1, 20));
        assert!(
            letter
                .authority_sentence
                .contains("réunie le 12 janvier 2027, et le président du conseil départemental"),
            "{}",
            letter.authority_sentence
        );
    }

    #[test]
    fn a_sitting_is_titled_by_formation_date_place_and_label() {
        let mut s = Session {
            id: String::new(),
            service_code: "mdph".into(),
            date: NaiveDate::from_ymd_opt(2027, 1, 12).unwrap_or_default(),
            place: "Bobigny".into(),
            formation: Formation::Pleniere,
            label: String::new(),
            created_by: String::new(),
            created_at: chrono::NaiveDateTime::default(),
            held_at: None,
            lock_version: 0,
        };
        assert_eq!(session_title(&s), "Séance plénière du 12 janvier 2027 – Bobigny");
        s.formation = Formation::Restreinte;
        s.label = "Adultes".into();
        assert_eq!(
            session_title(&s),
            "Séance restreinte du 12 janvier 2027 – Bobigny (Adultes)"
        );
    }

    #[test]
    fn stages_have_back_office_words() {
        assert_eq!(stage_label(None), None);
        assert!(stage_label(Some("recevable")).is_some_and(|s| s.starts_with("Recevable")));
        assert!(stage_label(Some("commission")).is_some_and(|s| s.contains("CDAPH")));
        assert_eq!(stage_label(Some("apa_complet")), None);
    }
}
