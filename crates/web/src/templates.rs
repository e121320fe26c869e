//! Page view-models rendered by askama (templates under `templates/`, compiled in).

use actix_web::{HttpMessage, HttpRequest, web};
use askama::Template;

use crate::app::AppState;
use crate::csrf::CsrfToken;
use crate::session::SessionUser;

/// What the shared layout needs: title, CSRF token for the logout form, who is logged in.
#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    pub has_errors: bool,
    pub csrf: String,
    pub user: Option<NavUser>,
    pub departement: String,
    /// « partiellement conforme »…: the footer's link to the accessibility statement says it on every page.
    pub conformity: &'static str,
    pub css: &'static str,
    /// Staff pages (back office, administration) use the whole screen: an instructor works tables and a
    /// dossier beside its summary; the citizen pages keep their reading width.
    pub wide: bool,
}

/// The paths of the staff's working pages, drawn full-width.
fn is_staff_path(path: &str) -> bool {
    ["/instruction", "/admin"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

#[derive(Debug, Clone)]
pub struct NavUser {
    pub name: String,
    pub is_staff: bool,
    pub is_admin: bool,
    /// Member of a service whose rights the CDAPH decides: « Commissions (CDAPH) » in the menu.
    pub commissions: bool,
}

impl Layout {
    pub fn new(req: &HttpRequest, user: Option<&SessionUser>, title: impl Into<String>) -> Layout {
        let departement = req
            .app_data::<web::Data<AppState>>()
            .map_or_else(String::new, |s| s.identity.name());
        Layout {
            title: title.into(),
            has_errors: false,
            csrf: req
                .extensions()
                .get::<CsrfToken>()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
            user: user.map(|u| NavUser {
                name: u.user.display_name.clone(),
                is_staff: u.user.role != guichet_types::Role::Usager,
                is_admin: u.user.role == guichet_types::Role::Admin,
                // --- commission
                commissions: u.user.role != guichet_types::Role::Usager
                    && req.app_data::<web::Data<AppState>>().is_some_and(|s| {
                        let codes = guichet_usecases::commission::commission_services(&s.procedures);
                        u.services.iter().any(|sv| codes.contains(&sv.code))
                    }),
            }),
            departement,
            conformity: req
                .app_data::<web::Data<AppState>>()
                .map_or(crate::mentions::Conformity::None, |s| {
                    s.settings.config.mentions.conformity()
                })
                .label(),
            css: crate::assets::css_url(),
            wide: is_staff_path(req.path()),
        }
    }

    pub fn with_errors(mut self, has: bool) -> Layout {
        self.has_errors = has;
        self
    }
}

/// An error of one field, linked from the error summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// A text-like input (text, email, password).
#[derive(Debug, Clone)]
pub struct InputField {
    pub id: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub kind: &'static str,
    pub autocomplete: &'static str,
    pub value: String,
    pub error: Option<String>,
}

impl InputField {
    pub fn new(
        id: &'static str,
        label: &'static str,
        kind: &'static str,
        autocomplete: &'static str,
    ) -> InputField {
        InputField {
            id,
            label,
            hint: "",
            kind,
            autocomplete,
            value: String::new(),
            error: None,
        }
    }

    pub fn hint(mut self, hint: &'static str) -> InputField {
        self.hint = hint;
        self
    }

    pub fn value(mut self, v: &str) -> InputField {
        self.value = v.to_owned();
        self
    }

    pub fn error_from(mut self, errors: &[FieldError]) -> InputField {
        self.error = errors
            .iter()
            .find(|e| e.field == self.id)
            .map(|e| e.message.clone());
        self
    }

    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if !self.hint.is_empty() {
            ids.push(format!("{}-aide", self.id));
        }
        if self.error.is_some() {
            ids.push(format!("{}-erreur", self.id));
        }
        ids.join(" ")
    }
}

/// A page with one form made of simple inputs (sign-up, login, passwords).
#[derive(Template)]
#[template(path = "form_page.html")]
pub struct FormPage {
    pub layout: Layout,
    pub back: Option<String>,
    pub intro: Vec<String>,
    pub action: String,
    pub hidden: Vec<(String, String)>,
    pub fields: Vec<InputField>,
    pub errors: Vec<FieldError>,
    pub submit: &'static str,
    pub links: Vec<(String, String)>,
    /// The FranceConnect button's link (the login page, when FranceConnect is configured).
    pub franceconnect: Option<String>,
}

/// A page of plain text: confirmations and notices.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub layout: Layout,
    pub success: bool,
    pub paragraphs: Vec<String>,
    pub links: Vec<(String, String)>,
}

/// « Are you sure? » before an action that cannot be undone (delete a draft, withdraw a request).
#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub layout: Layout,
    pub back: String,
    pub paragraphs: Vec<String>,
    pub action: String,
    /// The dossier's version as shown, sent back so that a dossier changed since is not acted on blindly.
    pub version: i32,
    pub submit: String,
    pub cancel: String,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub message: String,
}

impl ErrorPage {
    /// Error pages are rendered without the request (from `ResponseError`): no user menu, no CSRF.
    pub fn new(title: &str, message: &str) -> ErrorPage {
        ErrorPage {
            layout: Layout {
                title: title.to_owned(),
                has_errors: false,
                csrf: String::new(),
                user: None,
                departement: String::new(),
                conformity: crate::mentions::Conformity::None.label(),
                css: crate::assets::css_url(),
                wide: false,
            },
            message: message.to_owned(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Card {
    pub title: String,
    pub summary: String,
    pub cerfa: String,
    pub href: Option<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub layout: Layout,
    pub procedures: Vec<Card>,
    pub simulators: Vec<Card>,
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub layout: Layout,
    /// A change just saved, in words.
    pub notice: Option<&'static str>,
    pub notify_messages: bool,
    /// The optional emails: (field, label, hint).
    pub optional: Vec<(&'static str, &'static str, &'static str)>,
    /// The emails always sent, in words.
    pub mandatory: Vec<&'static str>,
    pub is_usager: bool,
    pub name: String,
    pub email: String,
    pub role: String,
    pub services: String,
    /// Staff only: (folded name, name as typed) of the relatives they declared.
    pub relatives: Option<Vec<(String, String)>>,
    /// The identity FranceConnect transmitted, (label, value), when the account is joined to it.
    pub franceconnect: Option<Vec<(&'static str, String)>>,
}

#[derive(Template)]
#[template(path = "legal.html")]
pub struct LegalPage {
    pub layout: Layout,
    /// The publisher: the département's identity (settings).
    pub identity: guichet_usecases::letters::Identity,
    /// Director, host, DPO: the `[mentions]` settings.
    pub m: crate::mentions::Mentions,
    /// How long each procedure's drafts and dossiers are kept, one sentence each.
    pub retention: Vec<String>,
}

#[derive(Template)]
#[template(path = "accessibility.html")]
pub struct AccessibilityPage {
    pub layout: Layout,
    /// Who to contact: the département's identity (settings).
    pub identity: guichet_usecases::letters::Identity,
    /// Audit, non-conformities, derogations, test environment: the `[mentions]` settings.
    pub m: crate::mentions::Mentions,
    /// « non conforme », « partiellement conforme »…
    pub conformity: &'static str,
    pub statement_date: Option<String>,
    pub audit_date: Option<String>,
    pub audit_rate: Option<String>,
    pub technologies: Vec<String>,
    /// The address of the site the statement is about.
    pub site: String,
}

/// A field of a step, with what the template needs beyond the engine's view.
#[derive(Debug, Clone)]
pub struct UiField {
    pub f: guichet_forms::FieldView,
    pub describedby: String,
    /// The field's label is the page's heading (one-question pages).
    pub heading: bool,
    /// Date of birth boxes get the `bday-*` autocomplete tokens.
    pub bday: bool,
    pub formats: String,
    pub accept: String,
    pub multiple: bool,
    pub can_add_file: bool,
    pub items: Vec<UiItem>,
    pub can_add_item: bool,
    pub item_label: String,
    /// The attached files, each with its link and, for a dated document, its own date boxes.
    pub files: Vec<UiFile>,
    /// What was typed in the date boxes of the file being added (kept when the file is refused).
    pub new_date: DateBoxes,
    /// Where the value comes from, when it is the one an identity provider transmitted.
    pub source: Option<&'static str>,
    /// The person's documents this file field may take again: (button value, words).
    pub reusable: Vec<(String, String)>,
}

/// Day, month and year boxes as typed or stored.
#[derive(Debug, Clone, Default)]
pub struct DateBoxes {
    pub jour: String,
    pub mois: String,
    pub annee: String,
}

impl DateBoxes {
    /// A stored document date: ISO when valid, or the `j/m/a` typed when it was not a date.
    pub fn of(stored: Option<&str>) -> DateBoxes {
        let Some(s) = stored else {
            return DateBoxes::default();
        };
        if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            use chrono::Datelike;
            return DateBoxes {
                jour: d.day().to_string(),
                mois: d.month().to_string(),
                annee: d.year().to_string(),
            };
        }
        let mut parts = s.split('/').map(str::to_owned);
        DateBoxes {
            jour: parts.next().unwrap_or_default(),
            mois: parts.next().unwrap_or_default(),
            annee: parts.next().unwrap_or_default(),
        }
    }
}

/// One attached file on a step.
#[derive(Debug, Clone)]
pub struct UiFile {
    pub id: String,
    pub name: String,
    /// « PDF, 120 Ko ».
    pub kind_and_size: String,
    /// « 1er juin 2026 ».
    pub date_words: Option<String>,
    pub date: DateBoxes,
    /// The owner's route to open it; empty where the page has no dossier to serve it from.
    pub href: String,
}

impl UiFile {
    pub fn new(f: &guichet_forms::FileRef, dossier_id: &str) -> UiFile {
        UiFile {
            id: f.id.clone(),
            name: f.name.clone(),
            kind_and_size: f.kind_and_size(),
            date_words: f.dated().map(guichet_forms::french_date),
            date: DateBoxes::of(f.document_date.as_deref()),
            href: if dossier_id.is_empty() {
                String::new()
            } else {
                format!("/dossiers/{dossier_id}/fichiers/{}", f.id)
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct UiItem {
    pub index: usize,
    pub title: String,
    pub fields: Vec<UiField>,
}

impl UiField {
    /// Links the attached files to the dossier's file route, where their owner opens them.
    pub fn for_dossier(mut self, dossier_id: &str) -> UiField {
        for (file, f) in self.files.iter_mut().zip(&self.f.files) {
            *file = UiFile::new(f, dossier_id);
        }
        self
    }

    pub fn new(mut f: guichet_forms::FieldView, single_question: bool) -> UiField {
        let mut ids = Vec::new();
        if f.hint.is_some() {
            ids.push(format!("{}-aide", f.name));
        }
        if f.error.is_some() {
            ids.push(format!("{}-erreur", f.name));
        }
        let items = std::mem::take(&mut f.items)
            .into_iter()
            .map(|i| UiItem {
                index: i.index,
                title: i.title,
                fields: i
                    .fields
                    .into_iter()
                    .filter(|c| c.kind != guichet_forms::FieldType::Computed)
                    .filter(|c| c.visible || c.conditional_on_same_step)
                    .map(|c| UiField::new(c, false))
                    .collect(),
            })
            .collect::<Vec<_>>();
        let formats = f
            .accept
            .iter()
            .map(|a| match a.as_str() {
                "application/pdf" => "PDF",
                "image/jpeg" => "JPEG",
                "image/png" => "PNG",
                other => other,
            })
            .collect::<Vec<_>>()
            .join(", ");
        let max_files = f.max_files.unwrap_or(1) as usize;
        let heading = single_question && f.visible && !matches!(f.input_type, "static" | "computed");
        UiField {
            describedby: ids.join(" "),
            heading,
            bday: f.autocomplete.as_deref() == Some("bday"),
            formats,
            accept: f.accept.join(","),
            multiple: max_files > 1,
            can_add_file: f.files.len() < max_files,
            can_add_item: f.max_items.is_none_or(|m| items.len() < m as usize),
            item_label: f.item_label.clone().unwrap_or_else(|| "un élément".to_owned()),
            items,
            files: f.files.iter().map(|file| UiFile::new(file, "")).collect(),
            new_date: DateBoxes::default(),
            source: None,
            reusable: Vec::new(),
            f,
        }
    }

    /// The value shown is the one FranceConnect transmitted: said beside the question, and read with it.
    pub fn transmitted(mut self) -> UiField {
        self.source = Some("Transmis par FranceConnect");
        let id = format!("{}-source", self.f.name);
        self.describedby = if self.describedby.is_empty() {
            id
        } else {
            format!("{id} {}", self.describedby)
        };
        self
    }
}

#[derive(Template)]
#[template(path = "step.html")]
pub struct StepPage {
    pub layout: Layout,
    pub back: String,
    pub errors: Vec<(String, String)>,
    pub notice: String,
    pub section_title: Option<String>,
    pub position: usize,
    pub count: usize,
    pub heading_in_title: bool,
    pub title: String,
    pub intro: Option<String>,
    pub action: String,
    pub multipart: bool,
    pub retour: Option<String>,
    pub fields: Vec<UiField>,
    /// The progressive-enhancement script (commune list, conditional reveal).
    pub script: &'static str,
}

#[derive(Template)]
#[template(path = "demarche_start.html")]
pub struct StartPage {
    pub layout: Layout,
    pub id: String,
    pub description: Option<String>,
    pub cerfa: Option<String>,
    pub documents: guichet_forms::DocumentsToPrepare,
    pub deadline: Option<String>,
    pub logged_in: bool,
}

#[derive(Template)]
#[template(path = "tasks.html")]
pub struct TasksPage {
    pub layout: Layout,
    pub dossier_id: String,
    pub notice: String,
    pub completed: usize,
    pub tasks: Vec<guichet_forms::TaskView>,
}

#[derive(Template)]
#[template(path = "check.html")]
pub struct CheckPage {
    pub layout: Layout,
    pub back: String,
    pub errors: Vec<(String, String)>,
    pub notice: String,
    pub sections: Vec<guichet_forms::SummarySection>,
    pub dossier_id: String,
    pub editable: bool,
    /// After deposit: the button sends amendments or the complement, not a new deposit.
    pub resubmit: bool,
    pub complement: bool,
}

/// One item a complement request asks for.
#[derive(Debug, Clone)]
pub struct AskedLine {
    pub label: String,
    pub href: String,
    pub action: &'static str,
    pub done: bool,
}

#[derive(Template)]
#[template(path = "complement.html")]
pub struct ComplementPage {
    pub layout: Layout,
    pub dossier_id: String,
    pub message: String,
    pub items: Vec<AskedLine>,
    pub labels_only: Vec<String>,
    pub done: usize,
}

#[derive(Template)]
#[template(path = "confirmation.html")]
pub struct ConfirmationPage {
    pub layout: Layout,
    pub number: String,
    pub procedure: String,
    pub deposited: String,
    pub due: Option<String>,
    pub silence: Option<String>,
    pub dossier_id: String,
}

#[derive(Debug, Clone)]
pub struct DossierRow {
    pub href: String,
    pub procedure: String,
    pub number: String,
    pub state: String,
    pub due: String,
}

/// A person a dossier is shared with, as the back office shows them.
#[derive(Debug, Clone)]
pub struct StaffPerson {
    pub who: String,
    pub role: &'static str,
    pub status: String,
    pub mandate: Option<String>,
    /// « Jugement vérifié »'s form action, for a representative whose judgment awaits the check.
    pub check: Option<String>,
}

/// The dossiers of one beneficiary in « Mes dossiers ».
#[derive(Debug, Clone)]
pub struct DossierGroup {
    pub title: String,
    /// Why they are here (« Vous accompagnez cette personne », « Partagée avec vous… »), if not one's own.
    pub note: String,
    pub rows: Vec<DossierRow>,
}

#[derive(Template)]
#[template(path = "my_dossiers.html")]
pub struct MyDossiersPage {
    pub layout: Layout,
    /// By beneficiary: the person's own requests first, then each person filed for or shared.
    pub groups: Vec<DossierGroup>,
    pub procedures: Vec<(String, String)>,
}

/// A right of a dossier as a page shows it.
#[derive(Debug, Clone)]
pub struct RightLine {
    pub label: String,
    /// « Accordée : 1 223,67 € par mois du … au … ».
    pub words: String,
    pub granted: bool,
    pub motivation: String,
}

#[derive(Template)]
#[template(path = "dossier.html")]
pub struct DossierPage {
    pub layout: Layout,
    pub dossier_id: String,
    pub number: String,
    pub state: String,
    pub deposited: String,
    pub due: String,
    pub is_draft: bool,
    pub continue_href: String,
    /// Sent and not yet decided: « Retirer ma demande ».
    pub can_withdraw: bool,
    /// Withdrawn by the usager: the date, in words.
    pub withdrawn: Option<String>,
    pub has_receipt: bool,
    pub timeline: Vec<(String, String)>,
    /// What the service asked for, and its message.
    pub complement: Option<(Vec<String>, String)>,
    pub can_edit: bool,
    pub edit_href: String,
    pub messages: Vec<crate::handlers::messages::MessageView>,
    /// The correspondence is shown (not to a relative kept informed of a health procedure).
    pub show_messages: bool,
    pub can_write: bool,
    pub errors: Vec<(String, String)>,
    /// The message being written, kept when it was refused.
    pub draft: String,
    /// Each right requested, with its decision in plain words.
    pub rights: Vec<RightLine>,
    /// « Votre demande est partiellement accordée », once decided.
    pub outcome: Option<String>,
    /// The decision letter's text, as on the PDF.
    pub letter: Option<guichet_documents::LetterText>,
    /// Why it was closed without follow-up.
    pub closing_reason: Option<String>,
    /// (when, who) opened the health data.
    /// (when, who, what) of each traced read of health data.
    pub reads: Vec<(String, String, String)>,
    /// The implicit decision born at the due date (issue 12).
    pub implicit: Option<crate::handlers::implicit::UsagerImplicit>,
    /// The « Contact » block: the département's identity and the service.
    pub contact: crate::identity::Contact,
    /// APA: the stages (complete dossier, visit, the plan to answer).
    pub apa: Option<crate::handlers::apa::UsagerApa>,
    /// The documents of the answers, by field label, each with its link.
    pub documents: Vec<(String, Vec<UiFile>)>,
    /// The decision letter's PDF may be opened.
    pub outcome_pdf: bool,
    /// The people with access, for the block that names them.
    pub people: crate::handlers::sharing::Summary,
    /// For a person the dossier is shared with: whom it is for.
    pub beneficiary: Option<String>,
    /// « Renouveler ma demande » is offered: the end of the rights granted, in words.
    pub renew: Option<String>,
}

#[derive(Debug, Clone)]
pub struct QueueRow {
    pub href: String,
    pub id: String,
    pub number: String,
    /// The beneficiary.
    pub applicant: String,
    /// Who filed it, when not the beneficiary (empty otherwise).
    pub filer: String,
    pub procedure: String,
    pub rights: Vec<String>,
    pub deposited: String,
    pub due: String,
    pub overdue: bool,
    /// « J-15 », « J-7 », « Dépassée » or empty.
    pub badge: &'static str,
    pub state: String,
    pub complement_recu: bool,
    /// The usager's message is the last of the thread.
    pub new_message: bool,
    /// An expert answered and no agent acted since.
    pub opinion_received: bool,
    /// « Name (SERVICE) », or « personne ».
    pub assignee: String,
    pub assigned: bool,
    /// « Décision implicite de rejet le … », or empty.
    pub implicit: String,
}

#[derive(Template)]
#[template(path = "instruction/queue.html")]
pub struct QueuePage {
    pub layout: Layout,
    /// (label, count as shown, link, current)
    pub tabs: Vec<(String, String, String, bool)>,
    /// (tab slug, label, chosen): the « États » filter, which shows the chosen tabs together in « Tous ».
    pub states: Vec<(String, String, bool)>,
    /// (id, title, selected)
    pub procedures: Vec<(String, String, bool)>,
    /// (code, name, selected): the services the agent sees, shown when more than one.
    pub services: Vec<(String, String, bool)>,
    /// (id or `personne`, « Name (SERVICE) », selected)
    pub agents: Vec<(String, String, bool)>,
    /// A filter other than the tab and the search is on (the filter panel opens).
    pub filtered: bool,
    pub tri: String,
    pub ordre: String,
    /// Sortable column headers: (label, link, aria-sort value or empty).
    pub headers: Vec<(String, String, String)>,
    pub a_moi: bool,
    pub echeance: String,
    pub recherche: String,
    pub onglet: String,
    pub rows: Vec<QueueRow>,
    pub next: Option<String>,
    /// (format, href) of the exports of this view.
    pub exports: Vec<(String, String)>,
    /// The view shows one procedure: its exports hold every answer.
    pub one_procedure: bool,
    /// The batch actions, for an agent who may act in one of their services.
    pub lot: Option<LotFields>,
    /// The agent's saved views: (href, name, id, is the current view).
    pub views: Vec<(String, String, String, bool)>,
    /// This view's query string (to save it under a name).
    pub vue: String,
    /// For a view of one procedure: the page choosing its export columns.
    pub columns_href: Option<String>,
    /// The agent is an expert of some service: the opinions asked of them are linked.
    pub expert: bool,
    /// Always empty on the queue (the batch form's errors have their own page).
    pub errors: Vec<(String, String)>,
}

/// The fields of a batch action, with what was chosen.
#[derive(Debug, Clone)]
pub struct LotFields {
    /// (code, label, selected)
    pub actions: Vec<(String, String, bool)>,
    /// (id or `personne`, « Name (SERVICE) », selected)
    pub agents: Vec<(String, String, bool)>,
    /// (outcome code, label, selected), for « Décider de la même façon ».
    pub decisions: Vec<(String, String, bool)>,
    /// (sitting id, title, selected): the open CDAPH sittings, for « Inscrire à une séance ».
    pub sittings: Vec<(String, String, bool)>,
    pub texte: String,
    /// `coches` or `vue`.
    pub portee: String,
    /// The queue view's query string (for « tous les dossiers de cette liste »).
    pub vue: String,
    pub checked_label: String,
    pub max: String,
    /// (href, label) of the agent's latest batches.
    pub recent: Vec<(String, String)>,
}

/// « Mes exports »: the agent's exports run in the background.
#[derive(Template)]
#[template(path = "instruction/exports.html")]
pub struct ExportsPage {
    pub layout: Layout,
    /// One still being written: the page refreshes itself.
    pub running: bool,
    /// The agent just asked one (sent here by the export link).
    pub fresh: bool,
    pub keep_hours: i64,
    /// (asked, format, status, download link when ready)
    pub rows: Vec<(String, String, String, Option<String>)>,
    /// While one runs: the script that refreshes the page.
    pub script: &'static str,
}

/// A batch action sent without what it needs: the choice kept, the errors named.
#[derive(Template)]
#[template(path = "instruction/lot_form.html")]
pub struct LotFormPage {
    pub layout: Layout,
    pub errors: Vec<(String, String)>,
    pub lot: LotFields,
    pub dossiers: Vec<String>,
    pub back: String,
}

/// The export columns of a procedure, chosen by the agent.
#[derive(Template)]
#[template(path = "instruction/export_columns.html")]
pub struct ExportColumnsPage {
    pub layout: Layout,
    pub procedure: String,
    pub vue: String,
    /// (key, header, checked)
    pub columns: Vec<(String, String, bool)>,
}

/// The report of a batch action, dossier by dossier.
#[derive(Template)]
#[template(path = "instruction/lot.html")]
pub struct LotPage {
    pub layout: Layout,
    pub finished: bool,
    pub total: usize,
    pub settled: usize,
    pub done: usize,
    pub refused: usize,
    pub texte: String,
    pub self_href: String,
    /// (number, href or empty, « Fait » / « Refusé » / « En attente », reason)
    pub items: Vec<(String, String, String, String)>,
    /// While it runs: the script that refreshes the report.
    pub script: &'static str,
}

#[derive(Debug, Clone)]
pub struct SummaryBlock {
    pub title: String,
    pub rows: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "instruction/dossier.html")]
pub struct InstructionDossierPage {
    pub layout: Layout,
    /// The people the dossier is shared with (not revoked).
    pub people: Vec<StaffPerson>,
    pub errors: Vec<(String, String)>,
    pub id: String,
    pub version: i32,
    pub procedure: String,
    pub form_version: String,
    pub applicant: String,
    pub state: String,
    pub complement: Option<(Vec<String>, String)>,
    pub deposited: String,
    pub due: String,
    /// Since when the clock is paused (complement awaited).
    pub paused: Option<String>,
    pub assigned: String,
    pub sections: Vec<SummaryBlock>,
    pub documents: Vec<DocumentLine>,
    /// What the last complement changed: (label, before, after).
    pub changes: Vec<(String, String, String)>,
    pub has_new_documents: bool,
    /// (when, who, what, internal)
    pub timeline: Vec<(String, String, String, bool)>,
    pub messages: Vec<crate::handlers::messages::MessageView>,
    /// (user id, name, selected)
    pub members: Vec<(String, String, bool)>,
    /// (when, who, text) of each private note.
    pub notes: Vec<(String, String, String)>,
    pub rights: Vec<RightPanel>,
    /// Rights of the procedure not on the dossier: (code, label).
    pub addable: Vec<(String, String)>,
    pub can_take: bool,
    pub can_decide: bool,
    pub can_ask: bool,
    pub can_close: bool,
    pub can_reopen: bool,
    pub decided: bool,
    pub has_decision_letter: bool,
    /// (field id, label with its status, ticked) of the documents a complement may ask.
    pub file_fields: Vec<(String, String, bool)>,
    /// (field id, label) of the answers.
    pub answer_fields: Vec<(String, String)>,
    pub amount_prefill: String,
    pub simulation_note: String,
    pub today: String,
    /// What was typed in a form sent back with an error, by `action.field` (or `message`).
    pub submitted: std::collections::HashMap<String, String>,
    /// --- commission: the MDPH stages and proposals, for procedures whose rights the CDAPH decides.
    pub commission: Option<crate::handlers::commission::DossierPanel>,
    /// The implicit decision born at the due date (issue 12).
    pub implicit: Option<crate::handlers::implicit::StaffImplicit>,
    /// APA: the stages (complete dossier, evaluation, care plans).
    pub apa: Option<crate::handlers::apa::ApaPanel>,
    /// The section shown (`?section=`): one of [`DOSSIER_SECTIONS`], or empty for the whole dossier.
    pub section: String,
    /// Who filed it, when not the beneficiary.
    pub filer: String,
    pub opinions: Vec<OpinionLine>,
    /// (user id, « Name (expert) ») of those who may be asked an opinion.
    pub experts: Vec<(String, String)>,
    /// (digest, « Field : name ») of the files that can be shared with an expert.
    pub shareable: Vec<(String, String)>,
}

/// An expert opinion on the dossier page.
#[derive(Debug, Clone)]
pub struct OpinionLine {
    pub question: String,
    pub expert: String,
    pub asker: String,
    pub asked: String,
    pub due: String,
    pub late: bool,
    pub answered: Option<String>,
    pub answer: String,
}

/// The sections of the back office's dossier page, each its own URL (`?section=…`), so that an instructor
/// switches between them without scrolling one long column, with or without JavaScript.
pub const DOSSIER_SECTIONS: [(&str, &str); 7] = [
    ("instruction", "Instruction et décisions"),
    ("demande", "Demande"),
    ("pieces", "Pièces"),
    ("messagerie", "Messagerie"),
    ("notes", "Notes internes"),
    ("avis", "Avis"),
    ("historique", "Historique"),
];

/// One document received, with its review.
#[derive(Debug, Clone)]
pub struct DocumentLine {
    pub href: String,
    pub name: String,
    /// « 1er juin 2026 » for a dated document (a certificate, a proof of address).
    pub dated: Option<String>,
    pub field_label: String,
    pub is_new: bool,
    pub status: String,
    /// The review's code, to select it in the form.
    pub current: String,
    pub review_action: String,
    pub select_id: String,
}

/// One right in the back office, with what its decision form needs.
#[derive(Debug, Clone)]
pub struct RightPanel {
    pub code: String,
    pub label: String,
    pub authority: String,
    pub words: String,
    pub open: bool,
    pub granted: bool,
    pub added: bool,
    pub has_amount: bool,
    pub unit: String,
    pub has_rate: bool,
    pub amount_prefill: String,
    pub end_prefill: String,
    pub motivation: String,
    /// What the decision's motivation starts with (APA: the GIR and the accepted plan).
    pub motivation_prefill: String,
    pub keys: RightKeys,
}

/// The keys of a right's form fields and typed values (`droit-aah-motivation`, `droit-aah.motivation`),
/// computed once so the template's macros borrow them.
#[derive(Debug, Clone)]
pub struct RightKeys {
    pub confirmation: String,
    pub debut: String,
    pub decision: String,
    pub fin: String,
    pub montant: String,
    pub motivation: String,
    pub prefix: String,
    pub retirer_motif: String,
    pub retirer_prefix: String,
    pub taux: String,
    pub typed_confirmation: String,
    pub typed_debut: String,
    pub typed_decision: String,
    pub typed_fin: String,
    pub typed_montant: String,
    pub typed_motivation: String,
}

impl RightKeys {
    pub fn new(code: &str) -> RightKeys {
        RightKeys {
            confirmation: format!("droit-{code}-confirmation"),
            debut: format!("droit-{code}-debut"),
            decision: format!("droit-{code}-decision"),
            fin: format!("droit-{code}-fin"),
            montant: format!("droit-{code}-montant"),
            motivation: format!("droit-{code}-motivation"),
            prefix: format!("droit-{code}-"),
            retirer_motif: format!("retirer-{code}-motif"),
            retirer_prefix: format!("retirer-{code}-"),
            taux: format!("droit-{code}-taux"),
            typed_confirmation: format!("droit-{code}.confirmation"),
            typed_debut: format!("droit-{code}.debut"),
            typed_decision: format!("droit-{code}.decision"),
            typed_fin: format!("droit-{code}.fin"),
            typed_montant: format!("droit-{code}.montant"),
            typed_motivation: format!("droit-{code}.motivation"),
        }
    }
}

impl InstructionDossierPage {
    /// Whether a section is on this page: the chosen one, or all of them on the whole view.
    pub fn shows(&self, section: &str) -> bool {
        self.section.is_empty() || self.section == section
    }

    /// The section links: (label with its count, link, current).
    pub fn section_links(&self) -> Vec<(String, String, bool)> {
        let base = format!("/instruction/dossiers/{}", self.id);
        let new_docs = self.documents.iter().filter(|d| d.is_new).count();
        let mut out = vec![(
            "Tout le dossier".to_owned(),
            base.clone(),
            self.section.is_empty(),
        )];
        for (slug, label) in DOSSIER_SECTIONS {
            let count = match slug {
                "pieces" if new_docs > 0 => format!(
                    " ({}, dont {new_docs} nouveau{})",
                    self.documents.len(),
                    if new_docs > 1 { "x" } else { "" }
                ),
                "pieces" => format!(" ({})", self.documents.len()),
                "messagerie" => format!(" ({})", self.messages.len()),
                "notes" => format!(" ({})", self.notes.len()),
                "avis" if !self.opinions.is_empty() => {
                    let open = self.opinions.iter().filter(|o| o.answered.is_none()).count();
                    let done = self.opinions.len() - open;
                    format!(
                        " ({open} en attente, {done} reçu{})",
                        if done > 1 { "s" } else { "" }
                    )
                }
                "instruction" => {
                    let open = self.rights.iter().filter(|r| r.open).count();
                    if open > 0 {
                        format!(" ({open} à décider)")
                    } else {
                        String::new()
                    }
                }
                _ => String::new(),
            };
            out.push((
                format!("{label}{count}"),
                format!("{base}?section={slug}"),
                self.section == slug,
            ));
        }
        out
    }

    /// --- commission: the right's proposal panel (procedures whose rights the CDAPH decides).
    pub fn proposal_of(&self, code: &str) -> Option<&crate::handlers::commission::RightProposal> {
        self.commission.as_ref()?.rights.iter().find(|r| r.code == code)
    }

    /// --- commission: the per-right decision form is for this right now (not a CDAPH right, not a CMI
    /// before the sitting).
    pub fn decides_here(&self, code: &str) -> bool {
        self.proposal_of(code).is_none_or(|p| p.gate.is_empty())
    }

    /// The value typed in a refused form, else the default.
    pub fn val(&self, key: &str, default: &str) -> String {
        self.submitted
            .get(key)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    }
}

#[derive(Debug, Clone, Default)]
pub struct StatsRow {
    pub procedure: String,
    pub deposes: i64,
    pub en_instruction: i64,
    /// Decided (the outcome of each right is in the rights).
    pub decides: i64,
    pub sans_suite: i64,
    pub median: String,
    pub p90: String,
}

#[derive(Template)]
#[template(path = "instruction/stats.html")]
pub struct StatsPage {
    pub layout: Layout,
    pub rows: Vec<StatsRow>,
    pub overdue: i64,
    /// (procedure, month, decided, median, p90)
    pub monthly: Vec<(String, String, usize, String, String)>,
}

#[derive(Template)]
#[template(path = "open_data.html")]
pub struct OpenDataPage {
    pub layout: Layout,
    /// (month, procedure, state, count or "moins de 11")
    pub rows: Vec<(String, String, String, String)>,
}

/// A member of a service on the administration page.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    /// « actif », « invitation envoyée, mot de passe pas encore choisi », « désactivé ».
    pub status: &'static str,
    pub invited: bool,
    pub deactivated: bool,
    pub is_me: bool,
}

#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminPage {
    pub layout: Layout,
    pub errors: Vec<(String, String)>,
    /// (code, name, members)
    pub services: Vec<(String, String, Vec<MemberRow>)>,
    /// (code, label) of the roles within a service.
    pub roles: Vec<(&'static str, &'static str)>,
    /// What the last action did, in words (a status message), or empty.
    pub notice: String,
    /// The values of the « Ajouter un agent » form when it was refused: (email, name, service, role).
    pub typed: (String, String, String, String),
    /// Adding this account needs a confirmation: (email, service code, what to know).
    pub confirm: Option<(String, String, String)>,
    /// The form « Identité du département », by group of fields.
    pub identity_groups: Vec<crate::handlers::admin_identity::IdentityGroup>,
    /// The identity was just saved.
    pub identity_saved: bool,
    /// Settings of the legal notice still missing: (key, what it is), shown « non renseigné » publicly.
    pub mentions_missing: Vec<(&'static str, &'static str)>,
    /// The routing rules, by procedure then rank.
    pub rules: Vec<RuleRow>,
    /// (id, title) of the procedures a rule may route.
    pub rule_procedures: Vec<(String, String)>,
    /// A refused rule, as typed.
    pub rule: guichet_usecases::routing::Input,
}

/// One routing rule on the administration page.
pub struct RuleRow {
    pub id: String,
    pub procedure: String,
    /// 1 for the procedure's first rule.
    pub rank: usize,
    pub first: bool,
    pub conditions: String,
    pub service: String,
}

/// The opinions asked of an expert.
#[derive(Template)]
#[template(path = "avis_list.html")]
pub struct OpinionListPage {
    pub layout: Layout,
    /// (href, dossier number, asked, due, status)
    pub items: Vec<(String, String, String, String, String)>,
}

/// One opinion, as its expert reads and answers it.
#[derive(Template)]
#[template(path = "avis.html")]
pub struct OpinionPage {
    pub layout: Layout,
    pub errors: Vec<(String, String)>,
    pub procedure: String,
    pub beneficiary: String,
    pub asker: String,
    pub asked: String,
    pub due: String,
    pub question: String,
    /// (href, name) of the shared files.
    pub files: Vec<(String, String)>,
    /// (date, text) once answered.
    pub answered: Option<(String, String)>,
    pub action: String,
    pub typed: String,
    /// The expert's list of opinions (members); `None` on a one-time link's page.
    pub back: Option<String>,
    /// Said above the page: how a one-time link works, or that the answer was sent.
    pub notice: Option<String>,
    /// The one-time link was just spent: its documents no longer open.
    pub spent: bool,
}

/// An agent's notification emails.
#[derive(Template)]
#[template(path = "instruction/notifications.html")]
pub struct AgentNotificationsPage {
    pub layout: Layout,
    /// (form name, label, checked)
    pub kinds: Vec<(&'static str, &'static str, bool)>,
    pub digest: bool,
    pub saved: bool,
}
