//! « Mes documents »: the documents a person sent with their requests, kept to be used again
//! (`guichet_usecases::vault`), with their kind, date and validity, and the means to remove one.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::app::AppState;
use crate::error::{WebError, WebResult};
use crate::form::CsrfForm;
use crate::handlers::{ok, see_other};
use crate::session::CurrentUser;
use crate::templates::Layout;

fn today() -> chrono::NaiveDate {
    guichet_usecases::deadlines::today()
}

/// One kept document as « Mes documents » lists it.
#[derive(Debug, Clone)]
pub struct KeptDocument {
    pub id: String,
    pub kind: &'static str,
    pub name: String,
    pub size: String,
    pub sent: String,
    pub beneficiary: String,
    pub date: Option<String>,
    pub expired: bool,
}

#[derive(Template)]
#[template(path = "my_documents.html")]
struct MyDocumentsPage {
    layout: Layout,
    documents: Vec<KeptDocument>,
    deleted: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct DeletedQuery {
    #[serde(default)]
    retire: String,
}

/// `GET /mes-documents`
pub async fn my_documents(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    q: web::Query<DeletedQuery>,
) -> WebResult<HttpResponse> {
    let owner = u.user.id.clone();
    let list = state
        .pool
        .run(move |c| guichet_usecases::vault::list(c, &owner, today()).map_err(WebError::from))
        .await?;
    let documents = list
        .into_iter()
        .map(|(d, expired)| KeptDocument {
            kind: guichet_forms::document_kind_label(&d.kind).unwrap_or("Document"),
            size: guichet_forms::FileRef {
                id: d.file_id.clone(),
                name: d.name.clone(),
                size: u64::try_from(d.size_bytes).unwrap_or(0),
                content_type: d.content_type.clone(),
                document_date: None,
                vault: None,
            }
            .kind_and_size(),
            sent: guichet_forms::french_date(d.created_at.date()),
            date: d.document_date.map(guichet_forms::french_date),
            beneficiary: d.beneficiary.trim().to_owned(),
            id: d.id,
            name: d.name,
            expired,
        })
        .collect();
    ok(&MyDocumentsPage {
        layout: Layout::new(&req, Some(&u), "Mes documents"),
        documents,
        deleted: (!q.retire.is_empty()).then(|| q.retire.clone()),
    })
}

/// `POST /mes-documents/{id}/supprimer`: out of the person's documents; sent requests keep their copy.
pub async fn delete_document(
    state: web::Data<AppState>,
    CurrentUser(u): CurrentUser,
    path: web::Path<String>,
    _csrf: CsrfForm,
) -> WebResult<HttpResponse> {
    let (owner, id) = (u.user.id.clone(), path.into_inner());
    let name = state
        .pool
        .run(move |c| {
            let doc = guichet_dossiers::vault::find(c, &owner, &id)?.ok_or(WebError::NotFound)?;
            guichet_usecases::vault::delete(c, &owner, &id)?;
            Ok::<_, WebError>(doc.name)
        })
        .await?;
    Ok(see_other(&format!(
        "/mes-documents?retire={}",
        form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
    )))
}
