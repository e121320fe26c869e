//! The usager's journey through a procedure: start page, steps (drafts saved at every "Continuer"), task
//! list, check-your-answers, deposit, confirmation, my dossiers, a dossier, its receipt and files.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse, web};
use guichet_dossiers::State;
use guichet_dossiers::store::{self, Dossier};
use guichet_forms::{Answers, FieldError, FileRef, FormDefinition};
use serde_json::Value;

use super::{ok, render, see_other};
use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::form::CsrfForm;
use crate::session::{CurrentUser, MaybeUser, SessionUser};
use crate::submission::{Submission, read_submission};
use crate::templates::{
    CheckPage, ComplementPage, ConfirmationPage, DossierPage, DossierRow, Layout, MyDossiersPage, StartPage,
    StepPage, TasksPage, UiField,
};
use crate::uploads::Received;
use guichet_usecases::deadlines::{self as procedures, today};

/// Why a health document is refused to someone outside the instructing service.
/// Refused to a relative kept informed of a shared dossier.
pub const HEALTH_DOCUMENT_FOLLOWER: &str = "Ce document contient des données de santé : seules la personne concernée par la demande et les personnes qui agissent pour elle peuvent l’ouvrir.";
pub const HEALTH_DOCUMENT: &str = "Ce document contient des données de santé : seuls les agents du service qui instruit ce dossier peuvent l’ouvrir.";

fn answers_of(v: &Value) -> Answers {
    v.as_object().cloned().unwrap_or_default()
}

fn french_datetime(t: chrono::NaiveDateTime) -> String {
    guichet_forms::french_date(t.date())
}

// ------------------------------------------------------------------------------------------ start page

pub async fn show_start(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let proc = state.procedures.get(&path).ok_or(WebError::NotFound)?;
    let def = &proc.def;
    let mut documents = def.documents_to_prepare();
    // « si vous demandez la PCH » opens a list item: « Si vous demandez la PCH : ».
    for (when, _) in &mut documents.depending {
        let mut c = when.chars();
        if let Some(first) = c.next() {
            *when = first.to_uppercase().chain(c).collect();
        }
    }
    let deadline = procedures::deadline_sentence(def);
    ok(&StartPage {
        layout: Layout::new(&req, user.0.as_ref(), def.title()),
        id: def.id().to_owned(),
        description: def.definition().description.clone(),
        cerfa: def.definition().cerfa.clone(),
        documents,
        deadline,
        logged_in: user.0.is_some(),
    })
}

pub async fn start(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    _csrf: CsrfForm,
) -> WebResult<HttpResponse> {
    let proc = state.procedures.get(&path).ok_or(WebError::NotFound)?.clone();
    let (owner, p, account) = (u.user.id.clone(), proc.clone(), u.user.clone());
    let d = state
        .pool
        .run(move |c| {
            let d = guichet_usecases::filing::start_draft(c, &owner, &p)?;
            // « Vos coordonnées » start from the account.
            Ok::<_, WebError>(guichet_usecases::accounts::prefill_draft(c, d, &p.def, &account)?)
        })
        .await?;
    tracing::info!(dossier.id = %d.id, form.id = %proc.id(), "Draft created");
    Ok(see_other(&first_page(&proc.def, &d)))
}

fn first_page(def: &FormDefinition, d: &Dossier) -> String {
    if def.has_task_list() {
        return format!("/dossiers/{}/taches", d.id);
    }
    match def.first_step(&answers_of(&d.answers), today()) {
        Some(step) => format!("/dossiers/{}/etapes/{step}", d.id),
        None => format!("/dossiers/{}/verifier", d.id),
    }
}

/// Where « Continuer ma demande » resumes: the task list for long procedures (it shows what is done), else
/// the first visible step that is not finished (not valid as it stands), else check-your-answers.
fn resume_page(def: &FormDefinition, d: &Dossier) -> String {
    if def.has_task_list() {
        return format!("/dossiers/{}/taches", d.id);
    }
    let answers = answers_of(d.pending_answers.as_ref().unwrap_or(&d.answers));
    let on = today();
    let unfinished = def
        .visible_steps(&answers, on)
        .into_iter()
        .find(|s| def.validate_step(s, &answers, on).is_ok_and(|e| !e.is_empty()));
    match unfinished {
        Some(step) => format!("/dossiers/{}/etapes/{step}", d.id),
        None => format!("/dossiers/{}/verifier", d.id),
    }
}

// ------------------------------------------------------------------------------------- draft loading

/// A draft of the logged-in usager, on its definition. Drafts filed against an older version of the
/// procedure move to the current one here, and the notice says what to look at again.
struct Draft {
    dossier: Dossier,
    def: Arc<FormDefinition>,
    /// The answers being edited: the draft's, or after deposit the pending amendments.
    answers: Answers,
    notice: String,
    /// The identity FranceConnect transmitted, when the account is joined to it: it prefills the steps.
    identity: Option<guichet_forms::PivotIdentity>,
    /// The person's documents (« Mes documents »), offered again on the steps that ask for their kind.
    documents: Vec<guichet_dossiers::vault::VaultDocument>,
}

pub(crate) async fn load_own(
    state: &web::Data<AppState>,
    user: &SessionUser,
    id: &str,
) -> WebResult<(Dossier, Arc<FormDefinition>)> {
    let (id, viewer) = (id.to_owned(), user.viewer());
    let st = state.clone();
    state
        .pool
        .run(move |c| {
            // Someone else's dossier is "not found", not "forbidden": ids reveal nothing. The rule is
            // the one of every usager-side route (pages, PDFs, files).
            let d = store::find(c, &id)?
                .filter(|d| guichet_dossiers::access::usager_side(&viewer, d, None).is_ok())
                .ok_or(WebError::NotFound)?;
            let def = st.procedures.definition_of_version(c, &d.form_version_id)?;
            Ok::<_, WebError>((d, def))
        })
        .await
}

/// A dossier the logged-in person follows on the usager's side: theirs, or one shared with them.
pub(crate) struct Followed {
    pub(crate) dossier: Dossier,
    pub(crate) def: Arc<FormDefinition>,
    pub(crate) standing: guichet_dossiers::access::Standing,
    pub(crate) viewer: guichet_dossiers::access::Viewer,
}

impl Followed {
    pub(crate) fn sees_health_data(&self) -> bool {
        guichet_dossiers::access::may_see_sensitive(self.standing)
    }

    pub(crate) fn is_owner(&self) -> bool {
        guichet_dossiers::access::may_change(self.standing)
    }

    /// Traces a read of health data by a person the dossier is shared with (the filer's and the
    /// beneficiary's own reads are not traced); refuses it to those who may not see it.
    pub(crate) async fn read_health_data(
        &self,
        state: &AppState,
        item: guichet_dossiers::access::SensitiveRead,
    ) -> WebResult<()> {
        if !self.sees_health_data() {
            return Err(WebError::Denied(HEALTH_DOCUMENT_FOLLOWER));
        }
        let (d, viewer, standing) = (self.dossier.clone(), self.viewer.clone(), self.standing);
        state
            .pool
            .run(move |c| {
                guichet_dossiers::access::trace_read(c, &d, &viewer, standing, &item).map_err(WebError::from)
            })
            .await
    }
}

/// The same rule as [`load_own`] for the pages and documents that only show: the people the dossier is
/// shared with open them too, each seeing what their standing allows.
pub(crate) async fn load_followed(
    state: &web::Data<AppState>,
    user: &SessionUser,
    id: &str,
) -> WebResult<Followed> {
    let (id, viewer) = (id.to_owned(), user.viewer());
    let st = state.clone();
    let v = viewer.clone();
    let (dossier, def, standing) = state
        .pool
        .run(move |c| {
            let Some(d) = store::find(c, &id)? else {
                return Err(WebError::NotFound);
            };
            let grant = if d.owner_id == v.user_id {
                None
            } else {
                guichet_dossiers::sharing::grant(c, &d.id, &v.user_id)?
            };
            let standing = guichet_dossiers::access::usager_side(&v, &d, grant.as_ref())
                .map_err(|_| WebError::NotFound)?;
            let def = st.procedures.definition_of_version(c, &d.form_version_id)?;
            Ok::<_, WebError>((d, def, standing))
        })
        .await?;
    Ok(Followed {
        dossier,
        def,
        standing,
        viewer,
    })
}

async fn load_draft(state: &web::Data<AppState>, user: &SessionUser, id: &str) -> WebResult<Draft> {
    let mut draft = draft_on_current_version(state, user, id).await?;
    let (owner, fc) = (user.user.id.clone(), state.franceconnect.is_some());
    let (identity, documents) = state
        .pool
        .run(move |c| {
            let identity = if fc {
                guichet_usecases::accounts::franceconnect_identity(c, &owner)?
            } else {
                None
            };
            let documents = guichet_dossiers::vault::of_user(c, &owner)?;
            Ok::<_, WebError>((identity, documents))
        })
        .await?;
    draft.identity = identity;
    draft.documents = documents;
    Ok(draft)
}

async fn draft_on_current_version(
    state: &web::Data<AppState>,
    user: &SessionUser,
    id: &str,
) -> WebResult<Draft> {
    let (d, def) = load_own(state, user, id).await?;
    match d.state {
        State::Brouillon => {}
        // After deposit, the usager may still amend (until the dossier is taken) or answer a complement
        // request; changes are kept apart until sent.
        State::Depose | State::EnInstruction if d.state == State::Depose || d.complement_demande => {
            let answers = answers_of(d.pending_answers.as_ref().unwrap_or(&d.answers));
            return Ok(Draft {
                dossier: d,
                def,
                answers,
                notice: String::new(),
                identity: None,
                documents: Vec::new(),
            });
        }
        _ => {
            return Err(WebError::Refused(
                "Cette demande est en cours d’examen ou a reçu une décision : elle ne peut plus être modifiée. Écrivez au service depuis votre dossier si besoin.".into(),
            ));
        }
    }
    let current = state.procedures.get(&d.procedure).cloned();
    let Some(current) = current.filter(|c| c.version_id != d.form_version_id) else {
        let answers = answers_of(&d.answers);
        return Ok(Draft {
            dossier: d,
            def,
            answers,
            notice: String::new(),
            identity: None,
            documents: Vec::new(),
        });
    };
    let (answers, recheck) =
        guichet_forms::migrate_answers(&def, &current.def, &answers_of(&d.answers), today());
    let labels: Vec<String> = recheck
        .iter()
        .filter_map(|id| current.def.field(id).map(|f| f.label.clone()))
        .collect();
    let (id, owner, version) = (d.id.clone(), user.user.id.clone(), current.version_id.clone());
    let answers = Value::Object(answers);
    let moved = state
        .pool
        .run(move |c| {
            store::rebase_draft(c, &id, &owner, &version, &answers, &recheck).map_err(WebError::from)
        })
        .await?;
    let notice = if labels.is_empty() {
        String::new()
    } else {
        format!(
            "Le formulaire a été mis à jour depuis votre dernière visite. Vos réponses sont conservées ; vérifiez ou complétez : {}.",
            labels.join(", ")
        )
    };
    let answers = answers_of(&moved.answers);
    Ok(Draft {
        dossier: moved,
        def: current.def,
        answers,
        notice,
        identity: None,
        documents: Vec::new(),
    })
}

// --------------------------------------------------------------------------------------------- steps

#[derive(serde::Deserialize)]
pub struct StepQuery {
    #[serde(default)]
    retour: String,
    #[serde(flatten)]
    renewal: RenewalQuery,
}

/// The first page of a renewal's draft says what it is: `?renouvellement=<number>&verifier=<step ids>`.
#[derive(serde::Deserialize, Default)]
pub struct RenewalQuery {
    #[serde(default)]
    renouvellement: String,
    #[serde(default)]
    verifier: String,
}

impl RenewalQuery {
    /// The notice of a renewal's draft, naming the steps to check.
    fn notice(&self, def: &FormDefinition) -> Option<String> {
        if self.renouvellement.is_empty() {
            return None;
        }
        let steps: Vec<String> = self
            .verifier
            .split(',')
            .filter_map(|s| def.step(s.trim()))
            .map(|s| format!("« {} »", s.title))
            .collect();
        let check = if steps.is_empty() {
            String::new()
        } else {
            format!(" Vérifiez en particulier : {}.", steps.join(", "))
        };
        Some(format!(
            "Cette demande de renouvellement reprend les réponses de votre demande {} : vérifiez-les et changez ce qui a changé.{check} Les documents encore valables de « Mes documents » sont déjà joints ; ajoutez les autres.",
            self.renouvellement
        ))
    }
}

/// Where a step sent from a summary page goes back to: the check-your-answers page, or the complement
/// page that lists only what the service asked for.
fn retour(q: &str) -> Option<String> {
    matches!(q, "verifier" | "complement").then(|| q.to_owned())
}

fn step_page(
    req: &HttpRequest,
    user: &SessionUser,
    draft: &Draft,
    step_id: &str,
    answers: &Answers,
    errors: &[FieldError],
    retour: Option<String>,
) -> WebResult<StepPage> {
    let def = &draft.def;
    let view = def.step_view(step_id, answers, errors, today())?;
    let id = &draft.dossier.id;
    let back = match (&retour, &view.previous_step) {
        (Some(r), _) => format!("/dossiers/{id}/{r}"),
        (None, Some(prev)) => format!("/dossiers/{id}/etapes/{prev}"),
        (None, None) if def.has_task_list() => format!("/dossiers/{id}/taches"),
        (None, None) => format!("/demarches/{}", def.id()),
    };
    let heading_in_title = !view.single_question;
    let multipart = view.fields.iter().any(|f| f.input_type == "file");
    // A computed value is no question: it is never shown on a step (the recap leaves it out too).
    let transmitted =
        guichet_usecases::accounts::transmitted_fields(def, draft.identity.as_ref(), answers, today());
    let fields: Vec<UiField> = view
        .fields
        .iter()
        .filter(|f| f.kind != guichet_forms::FieldType::Computed)
        .filter(|f| f.visible || f.conditional_on_same_step)
        .map(|f| {
            let mut ui = UiField::new(f.clone(), view.single_question).for_dossier(id);
            if f.input_type == "file" {
                ui.reusable =
                    guichet_usecases::vault::offers_for(&draft.documents, def, &f.name, answers, today())
                        .into_iter()
                        .map(|doc| (format!("{REUSE}{}:{}", f.name, doc.id), reusable_words(&doc)))
                        .collect();
            }
            if transmitted.contains(&f.name) {
                ui.transmitted()
            } else {
                ui
            }
        })
        .collect();
    let title = if view.single_question {
        view.fields
            .iter()
            .find(|f| {
                f.visible
                    && !matches!(
                        f.kind,
                        guichet_forms::FieldType::Computed | guichet_forms::FieldType::Static
                    )
            })
            .map_or(view.title.clone(), |f| f.label.clone())
    } else {
        view.title.clone()
    };
    Ok(StepPage {
        layout: Layout::new(req, Some(user), title.clone()).with_errors(!errors.is_empty()),
        back,
        errors: view
            .errors
            .iter()
            .map(|e| (e.key.clone(), e.message.clone()))
            .collect(),
        notice: draft.notice.clone(),
        section_title: view.section_title.clone(),
        position: view.position,
        count: view.visible_count,
        heading_in_title,
        title,
        intro: view.intro.clone(),
        action: format!("/dossiers/{id}/etapes/{}", view.id),
        multipart,
        retour,
        fields,
        script: crate::assets::js_url(),
    })
}

/// A kept document as its « Utiliser » button names it: « cni.pdf, envoyé le 7 décembre 2026 pour
/// Jeanne Durand, daté du 2 décembre 2026 ».
fn reusable_words(doc: &guichet_dossiers::vault::VaultDocument) -> String {
    let mut words = format!(
        "{}, envoyé le {}",
        doc.name,
        guichet_forms::french_date(doc.created_at.date())
    );
    if !doc.beneficiary.trim().is_empty() {
        words.push_str(&format!(" pour {}", doc.beneficiary.trim()));
    }
    if let Some(d) = doc.document_date {
        words.push_str(&format!(", daté du {}", guichet_forms::french_date(d)));
    }
    words
}

pub async fn show_step(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<(String, String)>,
    q: web::Query<StepQuery>,
) -> WebResult<HttpResponse> {
    let (id, step) = path.into_inner();
    let mut draft = load_draft(&state, &u, &id).await?;
    if let Some(n) = q.renewal.notice(&draft.def) {
        draft.notice = n;
    }
    let mut answers = draft.answers.clone();
    if !draft.def.is_step_visible(&step, &answers, today())? {
        return Ok(see_other(&first_page(&draft.def, &draft.dossier)));
    }
    guichet_usecases::accounts::fill_from_identity(
        &draft.def,
        draft.identity.as_ref(),
        &mut answers,
        today(),
    );
    ok(&step_page(
        &req,
        &u,
        &draft,
        &step,
        &answers,
        &[],
        retour(&q.retour),
    )?)
}

/// `jj`, `mm`, `aaaa` boxes (`<prefix>.jour`…) to an ISO date when they make one; otherwise the text as
/// typed (the engine then explains what is wrong, and the boxes show it again); `None` when all empty.
fn typed_date(sub: &Submission, prefix: &str) -> Option<String> {
    let j = sub.get(&format!("{prefix}.jour")).trim().to_owned();
    let m = sub.get(&format!("{prefix}.mois")).trim().to_owned();
    let a = sub.get(&format!("{prefix}.annee")).trim().to_owned();
    if j.is_empty() && m.is_empty() && a.is_empty() {
        return None;
    }
    let parsed = match (j.parse::<u32>(), m.parse::<u32>(), a.parse::<i32>()) {
        (Ok(d), Ok(mo), Ok(y)) if a.len() == 4 => chrono::NaiveDate::from_ymd_opt(y, mo, d),
        _ => None,
    };
    Some(parsed.map_or_else(|| format!("{j}/{m}/{a}"), |d| d.format("%Y-%m-%d").to_string()))
}

/// Takes the date boxes of the files already attached (each dated document has its own): the date is
/// corrected without adding the file again. Returns what is wrong with them, for « Enregistrer la date »
/// to say at once (« Continuer » says it through the engine, with the same check).
fn apply_file_dates(
    def: &FormDefinition,
    step: &str,
    sub: &Submission,
    answers: &mut Answers,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let Some(s) = def.step(step) else { return errors };
    for f in s.fields.iter().filter(|f| f.validity_months.is_some()) {
        let Some(Value::Array(items)) = answers.get_mut(&f.id) else {
            continue;
        };
        for item in items.iter_mut() {
            let (Some(id), Some(name)) = (
                item.get("id").and_then(Value::as_str).map(str::to_owned),
                item.get("name").and_then(Value::as_str).map(str::to_owned),
            ) else {
                continue;
            };
            let prefix = format!("{}.date.{id}", f.id);
            // Boxes not on the page (another step's button): the stored date stays.
            if !sub.pairs.iter().any(|(k, _)| k.starts_with(&prefix)) {
                continue;
            }
            let Some(obj) = item.as_object_mut() else { continue };
            match typed_date(sub, &prefix) {
                Some(d) => {
                    if let Some(months) = f.validity_months
                        && let Err(m) = guichet_forms::check_document_date(months, &d, today())
                    {
                        errors.push(upload_error(step, &f.id, format!("« {name} » : {m}")));
                    }
                    obj.insert("document_date".into(), Value::String(d));
                }
                None => {
                    obj.remove("document_date");
                    errors.push(upload_error(
                        step,
                        &f.id,
                        format!("Indiquez la date du document « {name} »"),
                    ));
                }
            }
        }
    }
    errors
}

fn upload_error(step: &str, field: &str, message: String) -> FieldError {
    FieldError {
        step: step.to_owned(),
        field: field.to_owned(),
        item: None,
        key: field.to_owned(),
        message,
    }
}

/// Adds stored files to their fields' answers; returns the refusals as field errors.
fn attach_files(
    def: &FormDefinition,
    step: &str,
    sub: &Submission,
    answers: &mut Answers,
    max_dossier_bytes: u64,
    attached_bytes: u64,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    // One dossier's files are bounded as a whole (form files and message attachments), not only file
    // by file.
    let mut total: u64 = attached_bytes
        + crate::documents::files_of(&Value::Object(answers.clone()))
            .iter()
            .map(|f| f.size)
            .sum::<u64>();
    for r in &sub.files {
        if let Received::Stored(s) = r
            && total + s.size > max_dossier_bytes
        {
            errors.push(upload_error(
                step,
                &s.field,
                format!(
                    "Le fichier « {} » n’a pas été ajouté : les documents de ce dossier dépasseraient {} Mo au total. Supprimez un document inutile ou envoyez un fichier plus léger",
                    s.name,
                    max_dossier_bytes / (1024 * 1024)
                ),
            ));
            continue;
        }
        match r {
            Received::Empty => {}
            Received::Refused { field, message } => errors.push(upload_error(step, field, message.clone())),
            Received::Stored(s) => {
                let Some(f) = def.field(&s.field) else { continue };
                let max = f.max_files.unwrap_or(1) as usize;
                let list = answers
                    .entry(s.field.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if !list.is_array() {
                    *list = Value::Array(Vec::new());
                }
                let Some(items) = list.as_array_mut() else {
                    continue;
                };
                if let Some(same) = items
                    .iter()
                    .find(|v| v.get("id").and_then(Value::as_str) == Some(s.sha256.as_str()))
                {
                    let already = same.get("name").and_then(Value::as_str).unwrap_or(&s.name);
                    errors.push(upload_error(
                        step,
                        &s.field,
                        format!("Le fichier « {} » est déjà joint à ce document (sous le nom « {already} ») : il n’a pas été ajouté une deuxième fois", s.name),
                    ));
                    continue;
                }
                if items.len() >= max {
                    let files = if max == 1 {
                        "1 fichier".to_owned()
                    } else {
                        format!("{max} fichiers")
                    };
                    errors.push(upload_error(
                        step,
                        &s.field,
                        format!("Vous avez déjà ajouté {files} : supprimez-en un pour en ajouter un autre"),
                    ));
                    continue;
                }
                // A dated document is checked as it is added: too old or not a date, it is refused now,
                // with the limit, rather than at « Continuer ».
                let document_date = f.validity_months.and_then(|months| {
                    typed_date(sub, &format!("{}.date_document", s.field)).map(|d| (months, d))
                });
                if let Some((months, d)) = &document_date
                    && let Err(m) = guichet_forms::check_document_date(*months, d, today())
                {
                    errors.push(upload_error(
                        step,
                        &s.field,
                        format!("{m} Le fichier « {} » n’a pas été ajouté : corrigez la date, ou ajoutez un document plus récent.", s.name),
                    ));
                    continue;
                }
                if f.validity_months.is_some() && document_date.is_none() {
                    errors.push(upload_error(
                        step,
                        &s.field,
                        format!("Indiquez la date du document « {} » dans les cases sous son nom, puis choisissez « Enregistrer la date »", s.name),
                    ));
                }
                let file = FileRef {
                    vault: None,
                    id: s.sha256.clone(),
                    name: s.name.clone(),
                    size: s.size,
                    content_type: s.content_type.clone(),
                    document_date: document_date.map(|(_, d)| d),
                };
                if let Ok(v) = serde_json::to_value(file) {
                    total += s.size;
                    items.push(v);
                }
            }
        }
    }
    errors
}

/// What the usager is told of files kept for a later antivirus scan (clamd unreachable, `hold`): they are
/// received, and nothing is asked of them.
fn held_notice(sub: &Submission, answers: &Answers) -> Option<String> {
    let attached = crate::documents::files_of(&Value::Object(answers.clone()));
    let names: Vec<String> = sub
        .files
        .iter()
        .filter_map(|r| match r {
            Received::Stored(s) if s.pending && attached.iter().any(|f| f.id == s.sha256) => {
                Some(format!("« {} »", s.name))
            }
            _ => None,
        })
        .collect();
    match names.len() {
        0 => None,
        1 => Some(format!(
            "Le document {} a bien été reçu. Il sera vérifié par notre antivirus avant que le service puisse l’ouvrir : vous n’avez rien à faire, vous pouvez continuer votre demande.",
            names.join(", ")
        )),
        _ => Some(format!(
            "Les documents {} ont bien été reçus. Ils seront vérifiés par notre antivirus avant que le service puisse les ouvrir : vous n’avez rien à faire, vous pouvez continuer votre demande.",
            names.join(", ")
        )),
    }
}

/// The step button that saves the page as typed and leaves (« Enregistrer et reprendre plus tard »).
const SAVE_LATER: &str = "enregistrer";

/// The buttons that attach a document of « Mes documents »: `reutiliser:<field>:<document id>`.
const REUSE: &str = "reutiliser:";

/// The page after a successful step.
fn after_step(def: &FormDefinition, id: &str, next: Option<&str>, back_to: Option<&str>) -> String {
    match (back_to, next) {
        (Some(r), _) => format!("/dossiers/{id}/{r}"),
        (None, Some(next)) => format!("/dossiers/{id}/etapes/{next}"),
        (None, None) if def.has_task_list() => format!("/dossiers/{id}/taches"),
        (None, None) => format!("/dossiers/{id}/verifier"),
    }
}

pub async fn submit_step(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> WebResult<HttpResponse> {
    let (id, step) = path.into_inner();
    let draft = load_draft(&state, &u, &id).await?;
    let def = draft.def.clone();
    def.step(&step).ok_or(WebError::NotFound)?;
    let rules = |name: &str| {
        def.field(name)
            .map(|f| (u64::from(f.max_size_mb.unwrap_or(10)), f.accept.clone()))
    };
    let sub = read_submission(&req, payload, &state, &rules, usize::MAX).await?;
    let mut answers = draft.answers.clone();
    // Message attachments share the dossier's quota with the form's files.
    let attached = super::messages::attachment_bytes(&state, &id).await?;
    let mut upload_errors = attach_files(
        &def,
        &step,
        &sub,
        &mut answers,
        state.settings.config.max_dossier_upload_mb * 1024 * 1024,
        attached,
    );

    let date_errors = apply_file_dates(&def, &step, &sub, &mut answers);
    // Group and file buttons act on the page and show it again; only "Continuer" moves on.
    let action = sub.get("action").to_owned();
    if action.starts_with("dater:") {
        upload_errors.extend(date_errors);
    }
    let outcome = def.submit_step(&step, &sub.pairs, &mut answers, today())?;
    let mut stay = !upload_errors.is_empty();
    stay |= guichet_usecases::filing::apply_step_action(&def, &mut answers, &action);
    // « Utiliser ce document »: one of the person's documents attached, the page shown again.
    if let Some((field, document)) = action.strip_prefix(REUSE).and_then(|r| r.split_once(':')) {
        stay = true;
        let on_step = def
            .step(&step)
            .is_some_and(|s| s.fields.iter().any(|f| f.id == field));
        if on_step {
            let (owner, d, f, doc, mut a) = (
                u.user.id.clone(),
                def.clone(),
                field.to_owned(),
                document.to_owned(),
                answers.clone(),
            );
            let (refused, a) = state
                .pool
                .run(move |c| {
                    let r = guichet_usecases::vault::reuse(c, &owner, &d, &f, &doc, &mut a, today())?;
                    Ok::<_, WebError>((r.err(), a))
                })
                .await?;
            answers = a;
            if let Some(m) = refused {
                upload_errors.push(upload_error(&step, field, m));
            }
        }
    }

    // Whatever happens next, what was typed is saved.
    let (did, owner, step_for_save, def_for_save) =
        (id.clone(), u.user.id.clone(), step.clone(), def.clone());
    let to_save = answers.clone();
    state
        .pool
        .run(move |c| {
            guichet_usecases::filing::save_step(c, &owner, &did, &def_for_save, &to_save, &step_for_save)
                .map_err(WebError::from)
        })
        .await?;

    // « Enregistrer et reprendre plus tard »: saved above as typed, valid or not; say where to find it.
    if action == SAVE_LATER {
        return Ok(see_other(&format!("/dossiers/{id}/enregistre")));
    }
    let retour = retour(sub.get("retour"));
    if stay {
        // Errors from the engine are shown only on "Continuer"; an upload refusal is shown at once.
        let mut page = step_page(&req, &u, &draft, &step, &answers, &upload_errors, retour)?;
        if let Some(notice) = held_notice(&sub, &answers) {
            page.notice = notice;
        }
        // The date typed for a file that was refused stays in its boxes.
        for fld in &mut page.fields {
            if upload_errors.iter().any(|e| e.key == fld.f.name) {
                let typed = |p: &str| sub.get(&format!("{}.date_document.{p}", fld.f.name)).to_owned();
                fld.new_date = crate::templates::DateBoxes {
                    jour: typed("jour"),
                    mois: typed("mois"),
                    annee: typed("annee"),
                };
            }
        }
        return render(
            if upload_errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            },
            &page,
        );
    }
    if !outcome.errors.is_empty() {
        upload_errors.extend(outcome.errors);
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &step_page(&req, &u, &draft, &step, &answers, &upload_errors, retour)?,
        );
    }
    Ok(see_other(&after_step(
        &def,
        &id,
        outcome.next_step.as_deref(),
        retour.as_deref(),
    )))
}

#[derive(serde::Deserialize)]
pub struct CommunesQuery {
    #[serde(default)]
    code_postal: String,
}

/// The official communes of a postal code, as JSON (`[{"insee": "93010", "name": "Bondy"}]`), for the
/// step pages' script; public data, empty for a code that does not exist.
pub async fn communes(q: web::Query<CommunesQuery>) -> HttpResponse {
    let list = guichet_types::PostalCode::parse(&q.code_postal)
        .map(|cp| guichet_forms::communes_for_postal_code(cp.as_str()))
        .unwrap_or(&[]);
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "public, max-age=86400"))
        .json(list)
}

/// Which fields of a step show with the answers on the page, not saved (the script's conditional
/// reveal asks it on every change; « Continuer » applies the same rules).
pub async fn visible_fields(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let (id, step) = path.into_inner();
    let draft = load_draft(&state, &u, &id).await?;
    let mut answers = draft.answers.clone();
    draft
        .def
        .submit_step(&step, &form.pairs(), &mut answers, today())?;
    let view = draft.def.step_view(&step, &answers, &[], today())?;
    let visibles: Vec<&str> = view
        .fields
        .iter()
        .filter(|f| f.visible)
        .map(|f| f.name.as_str())
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "visibles": visibles })))
}

// ------------------------------------------------------------------------------------- task list

pub async fn show_tasks(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    q: web::Query<RenewalQuery>,
) -> WebResult<HttpResponse> {
    let mut draft = load_draft(&state, &u, &path).await?;
    if let Some(n) = q.notice(&draft.def) {
        draft.notice = n;
    }
    if !draft.def.has_task_list() {
        return Ok(see_other(&first_page(&draft.def, &draft.dossier)));
    }
    let answers = draft.answers.clone();
    let tasks = draft.def.task_list(&answers, today());
    let completed = tasks
        .iter()
        .filter(|t| t.status == guichet_forms::TaskStatus::Completed)
        .count();
    ok(&TasksPage {
        layout: Layout::new(&req, Some(&u), draft.def.title()),
        dossier_id: draft.dossier.id.clone(),
        notice: draft.notice.clone(),
        completed,
        tasks,
    })
}

// ------------------------------------------------------------------------------ check your answers

fn check_page(req: &HttpRequest, u: &SessionUser, draft: &Draft, errors: Vec<FieldError>) -> CheckPage {
    let answers = draft.answers.clone();
    let id = &draft.dossier.id;
    let back = if draft.def.has_task_list() {
        format!("/dossiers/{id}/taches")
    } else {
        draft.def.visible_steps(&answers, today()).last().map_or_else(
            || "/mes-dossiers".to_owned(),
            |s| format!("/dossiers/{id}/etapes/{s}"),
        )
    };
    CheckPage {
        layout: Layout::new(
            req,
            Some(u),
            "Vérifiez vos réponses avant d’envoyer votre demande",
        )
        .with_errors(!errors.is_empty()),
        back,
        errors: errors
            .iter()
            .map(|e| {
                (
                    format!("/dossiers/{id}/etapes/{}?retour=verifier#{}", e.step, e.key),
                    e.message.clone(),
                )
            })
            .collect(),
        notice: draft.notice.clone(),
        sections: draft.def.answers_summary(&answers, today()),
        dossier_id: id.clone(),
        editable: true,
        resubmit: draft.dossier.state != State::Brouillon,
        complement: draft.dossier.complement_demande,
    }
}

/// The complement asked, on one page: only the documents and answers the service asked for, each with a
/// link to change it and whether it is done, then the button that sends them.
pub async fn show_complement(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let draft = load_draft(&state, &u, &path).await?;
    if !draft.dossier.complement_demande {
        return Ok(see_other(&format!("/dossiers/{}", draft.dossier.id)));
    }
    let dd = draft.dossier.clone();
    let complement = state
        .pool
        .run(move |c| guichet_dossiers::instruction::pending_complement(c, &dd).map_err(WebError::from))
        .await?
        .unwrap_or_default();
    let pending = Value::Object(draft.answers.clone());
    let items = guichet_usecases::complement::asked_items(&draft.def, &draft.dossier, &complement, &pending);
    let id = draft.dossier.id.clone();
    ok(&ComplementPage {
        layout: Layout::new(&req, Some(&u), "Compléter votre dossier"),
        dossier_id: id.clone(),
        message: complement.message.clone(),
        // Requests made before the fields were recorded only have labels: show them as they are.
        labels_only: if items.is_empty() {
            complement
                .documents
                .iter()
                .chain(&complement.answers)
                .cloned()
                .collect()
        } else {
            Vec::new()
        },
        done: items.iter().filter(|i| i.done).count(),
        items: items
            .into_iter()
            .map(|i| crate::templates::AskedLine {
                href: format!("/dossiers/{id}/etapes/{}?retour=complement#{}", i.step, i.field),
                action: if i.is_document {
                    "Ajouter le document"
                } else {
                    "Modifier la réponse"
                },
                label: i.label,
                done: i.done,
            })
            .collect(),
    })
}

pub async fn show_check(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let draft = load_draft(&state, &u, &path).await?;
    ok(&check_page(&req, &u, &draft, Vec::new()))
}

/// The answers, normalised and validated as a whole (deposit and re-send), or the errors to show.
fn whole_form(draft: &Draft) -> Result<Answers, Vec<FieldError>> {
    let mut answers = draft.answers.clone();
    draft.def.normalize_answers(&mut answers, today());
    let errors = draft.def.validate_all(&answers, today());
    if errors.is_empty() {
        Ok(answers)
    } else {
        Err(errors)
    }
}

pub async fn deposit(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    _csrf: CsrfForm,
) -> WebResult<HttpResponse> {
    let draft = load_draft(&state, &u, &path).await?;
    if draft.dossier.state != State::Brouillon {
        return Err(WebError::Refused(
            "Cette demande a déjà été envoyée. Pour la modifier, utilisez « Envoyer mes modifications »."
                .into(),
        ));
    }
    let answers = match whole_form(&draft) {
        Ok(a) => a,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &check_page(&req, &u, &draft, errors),
            );
        }
    };
    let proc = state
        .procedures
        .get(&draft.dossier.procedure)
        .ok_or(WebError::NotFound)?
        .clone();
    let (links, def, dossier, email) = (
        state.links(),
        draft.def.clone(),
        draft.dossier.clone(),
        u.user.email.clone(),
    );
    let d = state
        .pool
        .run(move |c| {
            guichet_usecases::filing::deposit(c, &links, &proc, &def, &dossier, &email, answers)
                .map_err(WebError::from)
        })
        .await?;
    state.delivery.wake();
    tracing::info!(dossier.id = %d.id, dossier.number = ?d.number.as_ref().map(ToString::to_string), "Dossier deposited");
    Ok(see_other(&format!("/dossiers/{}/confirmation", d.id)))
}

pub async fn confirmation(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let (d, def) = load_own(&state, &u, &path).await?;
    let number = d.number.as_ref().ok_or(WebError::NotFound)?.to_string();
    ok(&ConfirmationPage {
        layout: Layout::new(&req, Some(&u), format!("Demande envoyée – dossier {number}")),
        number,
        procedure: def.title().to_owned(),
        deposited: d.deposited_at.map(french_datetime).unwrap_or_default(),
        due: d.due_at.map(french_datetime),
        silence: procedures::silence_sentence(&def).map(str::to_owned),
        dossier_id: d.id,
    })
}

// ------------------------------------------------------------------------------------ my dossiers

pub async fn my_dossiers(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
) -> WebResult<HttpResponse> {
    let owner = u.user.id.clone();
    let list = state
        .pool
        .run(move |c| guichet_usecases::sharing::followed(c, &owner, today()).map_err(WebError::from))
        .await?;
    let mut groups: Vec<crate::templates::DossierGroup> = Vec::new();
    for f in &list {
        let d = &f.dossier;
        let current = state.procedures.get(&d.procedure);
        let title = current.map_or_else(|| d.procedure.clone(), |p| p.def.title().to_owned());
        // Grouped by the person the request is for: « Vos demandes » for one's own.
        let answers = answers_of(&d.answers);
        let for_self =
            f.own && current.is_none_or(|p| p.def.filed_for_self(&answers, today()) != Some(false));
        let (heading, note) = if for_self {
            ("Vos demandes".to_owned(), String::new())
        } else {
            let heading = format!("Demandes pour {}", d.beneficiary_words());
            let pro = answers.get("demande_pour").and_then(Value::as_str) == Some("professionnel");
            let note = match (f.own, f.role) {
                (true, _) if pro => "Vous accompagnez cette personne dans ses démarches.".to_owned(),
                (true, _) => "Vous faites ces demandes pour cette personne.".to_owned(),
                (false, Some(r)) => format!("Partagée avec vous : vous êtes {}.", r.label()),
                (false, None) => String::new(),
            };
            (heading, note)
        };
        let row = DossierRow {
            href: format!("/dossiers/{}", d.id),
            procedure: title,
            number: d
                .number
                .as_ref()
                .map_or_else(|| "—".to_owned(), ToString::to_string),
            state: guichet_usecases::decisions::usager_state(d).to_owned(),
            due: guichet_usecases::deadlines::effective_due(d, guichet_db::now())
                .filter(|_| !d.state.is_decided())
                .map_or_else(|| "—".to_owned(), french_datetime),
        };
        match groups.iter_mut().find(|g| g.title == heading) {
            Some(g) => g.rows.push(row),
            None => groups.push(crate::templates::DossierGroup {
                title: heading,
                note,
                rows: vec![row],
            }),
        }
    }
    // One's own requests first, the others in the order they were last changed.
    groups.sort_by_key(|g| g.title != "Vos demandes");
    let procedures = state
        .procedures
        .all()
        .map(|p| (format!("/demarches/{}", p.id()), p.def.title().to_owned()))
        .collect();
    ok(&MyDossiersPage {
        layout: Layout::new(&req, Some(&u), "Mes dossiers"),
        groups,
        procedures,
    })
}

fn event_label(kind: &str) -> &'static str {
    match kind {
        "created" => "Demande commencée",
        "deposit" => "Demande envoyée",
        "form_version_changed" => "Formulaire mis à jour",
        "take" => "Prise en charge par le service",
        "ask_complement" => "Complément demandé",
        "answer_complement" => "Complément envoyé",
        "accept" => "Demande acceptée",
        "refuse" => "Demande refusée",
        "right_decided" => "Décision prise sur un droit",
        "right_added" => "Droit ajouté à la demande par le service",
        "right_withdrawn" => "Droit retiré de la demande par le service",
        // --- commission (handlers/commission.rs adds the sitting's date and place)
        guichet_dossiers::commission::RECEVABLE_KIND => {
            "Votre demande est complète : elle est étudiée par l’équipe pluridisciplinaire"
        }
        guichet_dossiers::commission::ADDED_KIND => {
            "Votre demande sera examinée par la commission des droits et de l’autonomie des personnes handicapées (CDAPH)"
        }
        guichet_dossiers::commission::REMOVED_KIND => {
            "Votre demande ne sera pas examinée à la séance de la commission prévue"
        }
        "decide" => "Décision rendue",
        "close" => "Dossier classé sans suite",
        "withdraw" => "Demande retirée",
        "reopen" => "Dossier rouvert",
        "amend" => "Demande modifiée",
        "message" => "Message",
        "sensitive_read" => "Consultation de vos données de santé par le service",
        "renewal_reminder" => "Rappel envoyé : pensez à renouveler votre demande",
        "renewal_of" => "Demande de renouvellement commencée",
        "access_invited" => "Invitation à suivre le dossier envoyée",
        "access_granted" => "Invitation acceptée : une personne suit le dossier",
        "access_revoked" => "Accès au dossier retiré",
        "representative_checked" => "Jugement de la mesure de protection vérifié par le service",
        "retention_warning" => "Message : demande non terminée bientôt supprimée",
        guichet_dossiers::implicit::DECISION_KIND => "Délai de réponse dépassé : décision implicite",
        guichet_dossiers::implicit::MOTIFS_KIND => "Motifs du refus implicite demandés",
        guichet_dossiers::scans::INFECTED_KIND => "Document supprimé : un virus a été détecté",
        k if k.starts_with("apa_") => super::apa::usager_event_label(k),
        _ => "Événement",
    }
}

pub async fn show_dossier(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    render_own(&req, &state, &u, &path, Vec::new(), String::new(), StatusCode::OK).await
}

/// The usager's dossier page; `errors` and `draft` come back from a refused message.
pub(crate) async fn render_own(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    u: &SessionUser,
    path: &str,
    errors: Vec<(String, String)>,
    draft: String,
    status: StatusCode,
) -> WebResult<HttpResponse> {
    let followed = load_followed(state, u, path).await?;
    let (owner, health) = (followed.is_owner(), followed.sees_health_data());
    let beneficiary_view = matches!(
        followed.standing,
        guichet_dossiers::access::Standing::Owner
            | guichet_dossiers::access::Standing::Shared(guichet_dossiers::sharing::AccessRole::Beneficiary)
    );
    let people = super::sharing::summary(state, &followed).await?;
    let (d, def) = (followed.dossier.clone(), followed.def.clone());
    let id = d.id.clone();
    let dd = d.clone();
    let (events, (messages, files), complement, reads) = state
        .pool
        .run(move |c| {
            let events = store::events(c, &id, true)?;
            let messages = guichet_dossiers::instruction::messages_of(c, &id)?;
            let files = guichet_dossiers::instruction::attachments_of(c, &id)?;
            let complement = guichet_dossiers::instruction::pending_complement(c, &dd)?;
            let rights = guichet_dossiers::rights::of(c, &dd.id)?;
            let sittings = super::commission::letter_sittings(c, &rights)?;
            let mut readers = Vec::new();
            for r in guichet_dossiers::access::traced_reads(c, &id)? {
                // Named as they were when they read (older traces: by today's name).
                let name = match (&r.actor_id, r.actor_label.is_empty()) {
                    (_, false) => r.actor_label.clone(),
                    (Some(w), true) => guichet_accounts::users::find(c, w)?
                        .map_or_else(|| "Un agent".to_owned(), |u| u.display_name),
                    (None, true) => "Un agent".to_owned(),
                };
                readers.push((french_datetime(r.at), name, r.what));
            }
            Ok::<_, WebError>((events, (messages, files), (complement, rights, sittings), readers))
        })
        .await?;
    let (complement, raw_rights, sittings) = complement;
    let decided = d.state == State::Decide;
    let rights: Vec<crate::templates::RightLine> = raw_rights
        .iter()
        // A withdrawn request has no right left to decide: no « en attente » line.
        .filter(|_| !d.is_withdrawn())
        .filter(|r| r.withdrawn_at.is_none() || decided)
        .map(|r| crate::templates::RightLine {
            label: r.label.clone(),
            words: guichet_usecases::decisions::plain_words(r),
            granted: r.outcome == Some(guichet_dossiers::rights::Outcome::Accord),
            // The motivation reaches the usager with the decision, never before.
            motivation: if decided {
                r.motivation.clone().unwrap_or_default()
            } else {
                String::new()
            },
        })
        .collect();
    // The letter's text, readable on the page (a PDF is not accessible to every screen reader).
    let letter = if decided {
        // The same text as the PDF: with the sittings that decided the rights.
        guichet_usecases::letters::decision_at_sittings(
            &crate::documents::identity(state),
            &def,
            &d,
            &raw_rights,
            &sittings,
        )
        .ok()
        .map(|l| guichet_documents::decision_text(&l))
    } else {
        None
    };
    let outcome = decided.then(|| {
        format!(
            "votre demande est {}",
            guichet_dossiers::rights::outcome_words(&raw_rights)
        )
    });
    let dossier_id = d.id.clone();
    let mut documents: Vec<(String, Vec<crate::templates::UiFile>)> = Vec::new();
    for (field, file) in crate::documents::files_with_fields(&d.answers) {
        let label = def
            .field(&field)
            .map_or_else(|| field.clone(), |f| f.label.clone());
        let file = crate::templates::UiFile::new(&file, &d.id);
        match documents.iter_mut().find(|(l, _)| *l == label) {
            Some((_, files)) => files.push(file),
            None => documents.push((label, vec![file])),
        }
    }
    // Issue 12: the implicit decision at the due date, and the département's contact.
    let implicit = super::implicit::usager_view(state, &d, &def).await?;
    let renew = if owner {
        let (st, dd) = (state.clone(), d.clone());
        state
            .pool
            .run(move |c| {
                guichet_usecases::renewals::offered(c, &st.procedures, &dd, today()).map_err(WebError::from)
            })
            .await?
            .map(guichet_forms::french_date)
    } else {
        None
    };
    let contact = crate::identity::Contact::of(&state.identity.get(), def.definition().service.clone());
    let apa = if health {
        super::apa::usager_view(state, &def, &d).await?
    } else {
        None
    };
    // A relative kept informed follows the progress: neither the documents nor, for a procedure holding
    // health data, the letters and the correspondence.
    let private = !health;
    let health_procedure_private = private && def.handles_health_data();
    let (letter, outcome_pdf) = if health_procedure_private {
        (None, false)
    } else {
        (letter, true)
    };
    if private {
        documents.clear();
    }
    // APA: the two months run from the complete dossier (CASF L232-14): no date before it is recorded.
    let clock_started = apa.as_ref().is_none_or(|a| a.clock_started);
    render(
        status,
        &DossierPage {
            implicit,
            contact,
            layout: Layout::new(req, Some(u), def.title()).with_errors(!errors.is_empty()),
            errors,
            draft,
            dossier_id: d.id.clone(),
            number: d.number.as_ref().map_or_else(
                || "Pas encore attribué (brouillon)".to_owned(),
                ToString::to_string,
            ),
            state: guichet_usecases::decisions::usager_state(&d).to_owned(),
            deposited: d.deposited_at.map(french_datetime).unwrap_or_default(),
            // Once decided, no « réponse attendue »; while a complement is awaited the date moves on.
            due: guichet_usecases::deadlines::effective_due(&d, guichet_db::now())
                .filter(|_| !d.state.is_decided() && d.implicit_at.is_none() && clock_started)
                .map(french_datetime)
                .unwrap_or_default(),
            is_draft: owner && d.state == State::Brouillon,
            continue_href: resume_page(&def, &d),
            can_withdraw: owner && guichet_usecases::filing::can_withdraw(&d),
            has_receipt: d.number.is_some(),
            // Reads of health data have their own list, with who and what.
            timeline: events
                .iter()
                .filter(|e| e.kind != guichet_dossiers::access::READ_KIND)
                .map(|e| {
                    // A right's event names the right: « Décision prise sur un droit : Allocation… ».
                    let label = serde_json::from_str::<Value>(&e.payload)
                        .ok()
                        .and_then(|p| p.get("label").and_then(Value::as_str).map(str::to_owned))
                        .filter(|_| e.kind.starts_with("right_"));
                    let text = match label {
                        Some(l) => format!("{} : {l}", event_label(&e.kind)),
                        None => event_label(&e.kind).to_owned(),
                    };
                    let text = super::commission::with_detail(text, &e.kind, &e.payload, true);
                    (french_datetime(e.created_at), text)
                })
                .collect(),
            complement: complement.filter(|_| owner).map(|c| {
                let mut items = c.documents;
                items.extend(c.answers);
                (items, c.message)
            }),
            can_edit: owner && d.state == State::Depose && !d.complement_demande,
            // A complement is answered on its own page, listing only what was asked.
            edit_href: if d.complement_demande {
                format!("/dossiers/{}/complement", d.id)
            } else if def.has_task_list() {
                format!("/dossiers/{}/taches", d.id)
            } else {
                format!("/dossiers/{}/verifier", d.id)
            },
            messages: super::messages::views(
                &messages,
                &files,
                |m| {
                    if m.from_staff {
                        "Le service".to_owned()
                    } else {
                        "Vous".to_owned()
                    }
                },
                |a| format!("/dossiers/{dossier_id}/pieces-jointes/{a}"),
            ),
            show_messages: d.state != State::Brouillon && !health_procedure_private,
            can_write: owner && d.state != State::Brouillon,
            rights,
            outcome,
            outcome_pdf,
            letter,
            closing_reason: (d.state == State::SansSuite && !d.is_withdrawn())
                .then(|| d.closing_reason.clone().unwrap_or_default()),
            withdrawn: d
                .is_withdrawn()
                .then(|| d.decided_at.map(french_datetime).unwrap_or_default()),
            reads: if beneficiary_view { reads } else { Vec::new() },
            apa,
            documents,
            people,
            renew,
            beneficiary: (!owner).then(|| d.beneficiary_words()),
        },
    )
}

// ------------------------------------------------------------------- save for later, delete, withdraw

/// After « Enregistrer et reprendre plus tard »: where the draft is kept, and how to come back to it.
pub async fn show_saved(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let (d, def) = load_own(&state, &u, &path).await?;
    let mut paragraphs = vec![
        "Toutes vos réponses sont gardées, même celles qui ne sont pas encore complètes ou à corriger."
            .to_owned(),
        format!(
            "Pour reprendre plus tard, connectez-vous puis ouvrez « Mes dossiers » : votre demande « {} » y est, avec l’état « {} ». Choisissez-la, puis « Continuer ma demande ».",
            def.title(),
            guichet_usecases::decisions::usager_state(&d)
        ),
    ];
    if d.state == State::Brouillon {
        if let Some(r) = &def.definition().retention {
            paragraphs.push(format!(
                "Une demande qui n’est pas envoyée ni modifiée pendant {} mois est supprimée. Nous vous écrirons un mois avant.",
                r.draft_months
            ));
        }
    } else {
        paragraphs.push(
            "Vos modifications ne sont pas encore envoyées au service : il les verra quand vous les enverrez."
                .to_owned(),
        );
    }
    ok(&crate::templates::MessagePage {
        layout: Layout::new(&req, Some(&u), "Votre demande est enregistrée"),
        success: true,
        paragraphs,
        links: vec![
            ("/mes-dossiers".to_owned(), "Aller à « Mes dossiers »".to_owned()),
            (
                if d.state == State::Brouillon {
                    resume_page(&def, &d)
                } else {
                    format!("/dossiers/{}", d.id)
                },
                "Continuer ma demande maintenant".to_owned(),
            ),
        ],
    })
}

/// « Supprimer ce brouillon »: the confirmation page.
pub async fn confirm_delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let (d, def) = load_own(&state, &u, &path).await?;
    if d.state != State::Brouillon {
        return Err(WebError::Refused(
            "Cette demande a été envoyée : elle ne peut plus être supprimée. Vous pouvez la retirer depuis votre dossier tant qu’elle n’a pas reçu de décision.".into(),
        ));
    }
    ok(&crate::templates::ConfirmPage {
        layout: Layout::new(&req, Some(&u), "Supprimer ce brouillon ?"),
        back: format!("/dossiers/{}", d.id),
        paragraphs: vec![
            format!("Vous allez supprimer votre demande « {} », qui n’a pas été envoyée.", def.title()),
            "Toutes vos réponses et les documents ajoutés à cette demande seront effacés. Vous ne pourrez pas les retrouver.".to_owned(),
        ],
        action: format!("/dossiers/{}/supprimer", d.id),
        version: d.lock_version,
        submit: "Oui, supprimer ce brouillon".to_owned(),
        cancel: "Non, garder ce brouillon".to_owned(),
    })
}

pub async fn delete_draft(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    _csrf: CsrfForm,
) -> WebResult<HttpResponse> {
    let (d, def) = load_own(&state, &u, &path).await?;
    let (owner, id) = (u.user.id.clone(), d.id.clone());
    state
        .pool
        .run(move |c| guichet_usecases::filing::delete_draft(c, &owner, &id).map_err(WebError::from))
        .await?;
    tracing::info!(dossier.id = %d.id, form.id = %d.procedure, "Draft deleted by its owner");
    ok(&crate::templates::MessagePage {
        layout: Layout::new(&req, Some(&u), "Votre brouillon est supprimé"),
        success: true,
        paragraphs: vec![format!(
            "Votre demande « {} », qui n’avait pas été envoyée, est supprimée avec ses documents.",
            def.title()
        )],
        links: vec![("/mes-dossiers".to_owned(), "Retour à « Mes dossiers »".to_owned())],
    })
}

/// « Retirer ma demande »: the confirmation page (a request sent and not yet decided).
pub async fn confirm_withdraw(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let (d, def) = load_own(&state, &u, &path).await?;
    if !guichet_usecases::filing::can_withdraw(&d) {
        return Err(WebError::Refused(
            "Cette demande ne peut pas être retirée : elle n’a pas été envoyée, ou elle a déjà reçu une réponse."
                .into(),
        ));
    }
    let number = d.number.as_ref().map(ToString::to_string).unwrap_or_default();
    ok(&crate::templates::ConfirmPage {
        layout: Layout::new(&req, Some(&u), "Retirer votre demande ?"),
        back: format!("/dossiers/{}", d.id),
        paragraphs: vec![
            format!("Vous allez retirer votre demande « {} » (dossier {number}).", def.title()),
            "Le service arrêtera de l’examiner et ne prendra pas de décision. Le dossier reste visible dans « Mes dossiers », avec l’état « Demande retirée ».".to_owned(),
            "Vous ne pourrez pas annuler ce retrait. Si vous changez d’avis, il faudra faire une nouvelle demande.".to_owned(),
        ],
        action: format!("/dossiers/{}/retirer", d.id),
        version: d.lock_version,
        submit: "Oui, retirer ma demande".to_owned(),
        cancel: "Non, garder ma demande".to_owned(),
    })
}

pub async fn withdraw(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm,
) -> WebResult<HttpResponse> {
    let (d, def) = load_own(&state, &u, &path).await?;
    // The version the confirmation page showed: a dossier changed since (decided, say) is not withdrawn
    // blindly.
    let version = form.get("version").trim().parse::<i32>().unwrap_or(-1);
    let (owner, id) = (u.user.id.clone(), d.id.clone());
    let d = state
        .pool
        .run(move |c| guichet_usecases::filing::withdraw(c, &owner, &id, version).map_err(WebError::from))
        .await?;
    tracing::info!(dossier.id = %d.id, form.id = %d.procedure, "Request withdrawn by its owner");
    let number = d.number.as_ref().map(ToString::to_string).unwrap_or_default();
    ok(&crate::templates::MessagePage {
        layout: Layout::new(&req, Some(&u), "Votre demande est retirée"),
        success: true,
        paragraphs: vec![
            format!(
                "Votre demande « {} » (dossier {number}) est retirée. Le service ne l’examinera pas.",
                def.title()
            ),
            "Vous la retrouvez dans « Mes dossiers », avec l’état « Demande retirée ».".to_owned(),
        ],
        links: vec![
            (format!("/dossiers/{}", d.id), "Voir le dossier".to_owned()),
            ("/mes-dossiers".to_owned(), "Retour à « Mes dossiers »".to_owned()),
        ],
    })
}

// ------------------------------------------------------------------------------- receipt and files

pub async fn receipt_pdf(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let f = load_followed(&state, &u, &path).await?;
    let number = f.dossier.number.clone().ok_or(WebError::NotFound)?;
    if !f.def.sensitive_fields().is_empty() && f.sees_health_data() {
        f.read_health_data(&state, guichet_dossiers::access::SensitiveRead::Receipt)
            .await?;
    }
    // Without the right to the health data, the receipt masks them (the rule of `documents::disclosure`).
    let pdf = crate::documents::receipt(&state, &f.dossier, &f.def, number.clone(), f.standing)?;
    Ok(pdf_response(pdf, &format!("recepisse-{number}.pdf")))
}

pub fn pdf_response(pdf: Vec<u8>, filename: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(filename.to_owned())],
        })
        .body(pdf)
}

/// A file of the usager's own dossier (only files its answers reference, or its changes not yet sent:
/// a document added to answer a complement is opened before it is sent).
pub async fn download_file(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<(String, String)>,
) -> WebResult<HttpResponse> {
    let (id, sha) = path.into_inner();
    let f = load_followed(&state, &u, &id).await?;
    let d = &f.dossier;
    let (field, file) = crate::documents::referenced_file(&d.answers, &sha)
        .or_else(|| {
            d.pending_answers
                .as_ref()
                .filter(|_| f.is_owner())
                .and_then(|p| crate::documents::referenced_file(p, &sha))
        })
        .ok_or(WebError::NotFound)?;
    // A document's own data: only those acting for the beneficiary open it, and their reads of health
    // documents are traced like the service's.
    if !f.sees_health_data() {
        return Err(WebError::Denied(HEALTH_DOCUMENT_FOLLOWER));
    }
    if crate::documents::is_sensitive_file(&f.def, &field) {
        f.read_health_data(
            &state,
            guichet_dossiers::access::SensitiveRead::File {
                name: file.name.clone(),
            },
        )
        .await?;
    }
    crate::documents::send_file(&state, &file).await
}

/// Sends the amendments or the complement asked for: the whole form is validated again first.
pub async fn resubmit(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    _csrf: CsrfForm,
) -> WebResult<HttpResponse> {
    let draft = load_draft(&state, &u, &path).await?;
    if draft.dossier.state == State::Brouillon {
        return Err(WebError::Refused(
            "Cette demande n’a pas encore été envoyée : utilisez « Envoyer ma demande ».".into(),
        ));
    }
    let answers = match whole_form(&draft) {
        Ok(a) => a,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &check_page(&req, &u, &draft, errors),
            );
        }
    };
    let (def, dossier) = (draft.def.clone(), draft.dossier.clone());
    state
        .pool
        .run(move |c| {
            guichet_usecases::filing::resubmit(c, &def, &dossier, answers, today()).map_err(WebError::from)
        })
        .await?;
    Ok(see_other(&format!("/dossiers/{}", draft.dossier.id)))
}

/// `POST /dossiers/{id}/renouveler`: « Renouveler ma demande », a new draft prefilled from this one.
pub async fn renew(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    _csrf: CsrfForm,
) -> WebResult<HttpResponse> {
    let (d, _def) = load_own(&state, &u, &path).await?;
    let (st, owner, old) = (state.clone(), u.user.id.clone(), d.clone());
    let renewed = state
        .pool
        .run(move |c| {
            guichet_usecases::renewals::start(c, &st.procedures, &owner, &old, today())
                .map_err(WebError::from)
        })
        .await?;
    let proc = state.procedures.get(&d.procedure).ok_or(WebError::NotFound)?;
    let number = d.number.as_ref().map(ToString::to_string).unwrap_or_default();
    let query = format!(
        "renouvellement={}&verifier={}",
        form_urlencoded::byte_serialize(number.as_bytes()).collect::<String>(),
        renewed.check_steps.join(",")
    );
    tracing::info!(dossier.id = %renewed.draft.id, renews = %d.id, "Renewal draft created");
    Ok(see_other(&format!(
        "{}?{query}",
        first_page(&proc.def, &renewed.draft)
    )))
}

/// The usager writes to the service.
pub async fn send_message(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    payload: web::Payload,
) -> WebResult<HttpResponse> {
    let (d, _def) = load_own(&state, &u, &path).await?;
    if d.state == State::Brouillon {
        // Refused before the body is read (and its files stored); the use case checks it again.
        return Err(WebError::Refused(
            "Envoyez d’abord votre demande : vous pourrez ensuite écrire au service.".into(),
        ));
    }
    let (body, files) = match super::messages::read(&req, payload, &state, &d.id).await? {
        super::messages::Incoming::Ok { body, files } => (body, files),
        super::messages::Incoming::Refused { errors, body } => {
            return render_own(
                &req,
                &state,
                &u,
                &path,
                errors,
                body,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let (id, author) = (d.id.clone(), u.user.id.clone());
    state
        .pool
        .run(move |c| {
            guichet_usecases::messages::from_usager(c, &author, &id, &body, &files).map_err(WebError::from)
        })
        .await?;
    Ok(see_other(&format!("/dossiers/{}#messages", d.id)))
}

/// A file joined to a message of the usager's own dossier.
pub async fn download_attachment(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<(String, String)>,
) -> WebResult<HttpResponse> {
    let (id, attachment) = path.into_inner();
    let f = load_followed(&state, &u, &id).await?;
    let did = f.dossier.id.clone();
    let files = state
        .pool
        .run(move |c| guichet_dossiers::instruction::attachments_of(c, &did).map_err(WebError::from))
        .await?;
    let a = files
        .iter()
        .find(|a| a.id == attachment)
        .ok_or(WebError::NotFound)?;
    if !f.sees_health_data() {
        return Err(WebError::Denied(HEALTH_DOCUMENT_FOLLOWER));
    }
    if f.def.handles_health_data() {
        f.read_health_data(
            &state,
            guichet_dossiers::access::SensitiveRead::Attachment {
                name: a.filename.clone(),
            },
        )
        .await?;
    }
    super::messages::send_attachment(&state, &files, &attachment).await
}

pub async fn decision_pdf(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
) -> WebResult<HttpResponse> {
    let f = load_followed(&state, &u, &path).await?;
    // A decision of a health procedure says as much as the answers.
    if f.def.handles_health_data() {
        f.read_health_data(&state, guichet_dossiers::access::SensitiveRead::Decision)
            .await?;
    }
    let (d, def) = (f.dossier, f.def);
    let did = d.id.clone();
    let (rights, sittings) = state
        .pool
        .run(move |c| {
            let rights = guichet_dossiers::rights::of(c, &did)?;
            // --- commission: the sittings that decided them (« réunie le … »).
            let sittings = super::commission::letter_sittings(c, &rights)?;
            Ok::<_, WebError>((rights, sittings))
        })
        .await?;
    let pdf = crate::documents::decision_at_sittings(&state, &d, &def, &rights, &sittings)?;
    let number = d.number.as_ref().map(ToString::to_string).unwrap_or_default();
    Ok(pdf_response(pdf, &format!("decision-{number}.pdf")))
}
