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
    pub css: &'static str,
}

#[derive(Debug, Clone)]
pub struct NavUser {
    pub name: String,
    pub is_staff: bool,
}

impl Layout {
    pub fn new(req: &HttpRequest, user: Option<&SessionUser>, title: impl Into<String>) -> Layout {
        let departement = req
            .app_data::<web::Data<AppState>>()
            .map_or_else(String::new, |s| s.settings.config.departement.clone());
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
            }),
            departement,
            css: crate::assets::css_url(),
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
                css: crate::assets::css_url(),
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
    pub name: String,
    pub email: String,
    pub role: String,
    pub services: String,
}

#[derive(Template)]
#[template(path = "legal.html")]
pub struct LegalPage {
    pub layout: Layout,
}

#[derive(Template)]
#[template(path = "accessibility.html")]
pub struct AccessibilityPage {
    pub layout: Layout,
}
