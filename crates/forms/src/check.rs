//! The definition checker: turns a TOML text into a [`FormDefinition`] or errors naming file, step, field.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;

use crate::definition::{Definition, Field, FieldType, ParamValue};
use crate::expr::{self, Compiled, Literals, Ty, TypeScope};
use crate::form::{CField, CRule, CSection, CStep, FieldLoc, FormDefinition, content_hash};
use crate::values::{DateBound, DateBounds};

/// One problem in a definition. `Display` gives `apa.toml, étape « x », champ « y » : message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckError {
    pub file: String,
    pub step: Option<String>,
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(s) = &self.step {
            write!(f, ", étape « {s} »")?;
        }
        if let Some(x) = &self.field {
            write!(f, ", champ « {x} »")?;
        }
        write!(f, " : {}", self.message)
    }
}

/// Checks a definition file; an empty list means it loads.
pub fn check_definition(path: &Path) -> Vec<CheckError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match std::fs::read_to_string(path) {
        Ok(text) => check_definition_text(&text, &name),
        Err(e) => vec![CheckError {
            file: name,
            step: None,
            field: None,
            message: format!("lecture impossible : {e}"),
        }],
    }
}

/// Checks a definition given as text; `file_name` only appears in messages.
pub fn check_definition_text(text: &str, file_name: &str) -> Vec<CheckError> {
    let text = match with_parts(text, file_name) {
        Ok(t) => t,
        Err(e) => return vec![e],
    };
    let text = text.as_ref();
    let variants: Vec<String> = toml::from_str::<Definition>(text)
        .map(|d| d.variants.into_iter().map(|v| v.id).collect())
        .unwrap_or_default();
    if variants.len() <= 1 {
        return build(text, file_name).err().unwrap_or_default();
    }
    // Every variant is its own journey: check each, naming the variant in messages it alone causes.
    let mut out: Vec<CheckError> = Vec::new();
    let mut all: Vec<(String, Vec<CheckError>)> = Vec::new();
    for v in &variants {
        all.push((
            v.clone(),
            build_variant(text, file_name, Some(v)).err().unwrap_or_default(),
        ));
    }
    for (v, errors) in &all {
        for e in errors {
            let everywhere = all.iter().all(|(_, es)| es.contains(e));
            let e = if everywhere {
                e.clone()
            } else {
                CheckError {
                    message: format!("variante « {v} » : {}", e.message),
                    ..e.clone()
                }
            };
            if !out.contains(&e) {
                out.push(e);
            }
        }
    }
    out
}

const RESERVED: &[&str] = &[
    "true",
    "false",
    "null",
    "in",
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
    "int",
    "uint",
    "double",
    "string",
    "bool",
    "bytes",
    "list",
    "map",
    "type",
    "age",
    "months_since",
    "size",
];

const AUTOCOMPLETE: &[&str] = &[
    "off",
    "on",
    "name",
    "honorific-prefix",
    "given-name",
    "additional-name",
    "family-name",
    "honorific-suffix",
    "nickname",
    "email",
    "username",
    "organization-title",
    "organization",
    "street-address",
    "address-line1",
    "address-line2",
    "address-line3",
    "address-level1",
    "address-level2",
    "address-level3",
    "address-level4",
    "country",
    "country-name",
    "postal-code",
    "language",
    "bday",
    "bday-day",
    "bday-month",
    "bday-year",
    "sex",
    "tel",
    "tel-national",
    "tel-country-code",
    "url",
    "photo",
];

const MIME_TYPES: &[&str] = &[
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/heic",
    "image/webp",
];

struct Ctx<'a> {
    file: &'a str,
    errors: Vec<CheckError>,
}

impl Ctx<'_> {
    fn err(&mut self, step: Option<&str>, field: Option<&str>, message: impl Into<String>) {
        self.errors.push(CheckError {
            file: self.file.to_string(),
            step: step.map(str::to_string),
            field: field.map(str::to_string),
            message: message.into(),
        });
    }
}

fn valid_ident(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !RESERVED.contains(&id)
}

fn field_ty(f: &Field, children: &[CField], computed: Option<&Compiled>) -> Ty {
    match f.kind {
        FieldType::Text
        | FieldType::Textarea
        | FieldType::Email
        | FieldType::Phone
        | FieldType::PostalCode
        | FieldType::Commune
        | FieldType::Nir
        | FieldType::Iban
        | FieldType::Choice => Ty::String,
        FieldType::Integer | FieldType::Money => Ty::Int,
        FieldType::Decimal => Ty::Double,
        FieldType::Date => Ty::Date,
        FieldType::YesNo => Ty::Bool,
        FieldType::MultiChoice => Ty::List(Box::new(Ty::String)),
        FieldType::File => Ty::List(Box::new(Ty::Map)),
        FieldType::Group => Ty::List(Box::new(Ty::Obj(std::sync::Arc::new(
            children
                .iter()
                .filter(|c| c.def.kind != FieldType::Static)
                .map(|c| (c.def.id.clone(), c.ty.clone()))
                .collect(),
        )))),
        FieldType::Computed => computed.map(|c| c.ty.clone()).unwrap_or(Ty::Dyn),
        FieldType::Static => Ty::Null,
    }
}

struct Builder<'a> {
    ctx: Ctx<'a>,
    env: std::sync::Arc<cel::Env>,
    all_ids: BTreeSet<String>,
    available: HashMap<String, Ty>,
    /// Field definitions by id, for choice-value checks and satisfiability samples.
    fields: HashMap<String, Field>,
    /// Option values of every choice field across all variants: a value offered only in another variant
    /// may be tested (`categorie != 'aeeh'`) without being an error.
    all_options: HashMap<String, HashSet<String>>,
}

impl Builder<'_> {
    /// Compiles a condition that must be boolean, reporting errors at `step`/`field`.
    fn condition(
        &mut self,
        src: Option<&String>,
        what: &str,
        step: Option<&str>,
        field: Option<&str>,
        extra: &HashMap<String, Ty>,
    ) -> Option<Compiled> {
        let src = src?;
        let compiled = self.compile(src, what, step, field, extra)?;
        if !matches!(compiled.ty, Ty::Bool | Ty::Dyn) {
            self.ctx.err(
                step,
                field,
                format!("{what} doit donner vrai ou faux, pas {}", compiled.ty.name()),
            );
            return None;
        }
        Some(compiled)
    }

    fn compile(
        &mut self,
        src: &str,
        what: &str,
        step: Option<&str>,
        field: Option<&str>,
        extra: &HashMap<String, Ty>,
    ) -> Option<Compiled> {
        let available;
        let scope_map = if extra.is_empty() {
            &self.available
        } else {
            available = self
                .available
                .iter()
                .chain(extra.iter())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<HashMap<_, _>>();
            &available
        };
        let scope = TypeScope {
            available: scope_map,
            all_ids: &self.all_ids,
        };
        match expr::compile(&self.env, src, &scope) {
            Ok(c) => {
                let mut pairs = Vec::new();
                expr::string_comparisons(c.expression(), &mut pairs);
                let before = self.ctx.errors.len();
                for (fid, value) in pairs {
                    if let Some(f) = self.fields.get(&fid)
                        && matches!(f.kind, FieldType::Choice | FieldType::MultiChoice)
                        && !self.all_options.get(&fid).is_some_and(|o| o.contains(&value))
                    {
                        self.ctx.err(
                                step,
                                field,
                                format!("{what} utilise la valeur « {value} », qui n’est pas une option du champ « {fid} »"),
                            );
                    }
                }
                // A condition with an undefined value is not analysed further (it would also look unreachable).
                (self.ctx.errors.len() == before).then_some(c)
            }
            Err(e) => {
                self.ctx.err(step, field, format!("{what} : {e}"));
                None
            }
        }
    }

    fn field(&mut self, f: &Field, step: &str, extra: &mut HashMap<String, Ty>, in_group: bool) -> CField {
        let sid = Some(step);
        let fid = Some(f.id.as_str());
        if f.kind != FieldType::Static && f.label.trim().is_empty() {
            self.ctx.err(sid, fid, "libellé en français manquant (label)");
        }
        if f.kind == FieldType::Static && f.text.as_deref().is_none_or(|t| t.trim().is_empty()) {
            self.ctx.err(sid, fid, "bloc de texte sans texte (text)");
        }
        if let Some(a) = &f.autocomplete {
            let last = a.split_whitespace().last().unwrap_or_default();
            if !AUTOCOMPLETE.contains(&last) {
                self.ctx
                    .err(sid, fid, format!("jeton autocomplete inconnu « {a} »"));
            }
        }
        if let (Some(min), Some(max)) = (f.min, f.max)
            && min > max
        {
            self.ctx.err(sid, fid, "min est plus grand que max");
        }
        if let (Some(min), Some(max)) = (f.min_length, f.max_length)
            && min > max
        {
            self.ctx.err(sid, fid, "min_length est plus grand que max_length");
        }
        if f.document_kind.is_some() && f.kind != FieldType::File {
            self.ctx
                .err(sid, fid, "document_kind ne s’emploie que sur un champ fichier");
        }
        match f.kind {
            FieldType::Choice | FieldType::MultiChoice => {
                if f.options.is_empty() {
                    self.ctx.err(sid, fid, "champ à choix sans options");
                }
                let mut seen = HashSet::new();
                for o in &f.options {
                    if !seen.insert(o.value.as_str()) {
                        self.ctx
                            .err(sid, fid, format!("option « {} » en double", o.value));
                    }
                    if o.label.trim().is_empty() {
                        self.ctx.err(
                            sid,
                            fid,
                            format!("libellé en français manquant pour l’option « {} »", o.value),
                        );
                    }
                }
            }
            FieldType::File => {
                if let Some(kind) = &f.document_kind
                    && crate::definition::document_kind_label(kind).is_none()
                {
                    let known: Vec<&str> = crate::definition::DOCUMENT_KINDS
                        .iter()
                        .map(|(k, _, _)| *k)
                        .collect();
                    self.ctx.err(
                        sid,
                        fid,
                        format!(
                            "type de document inconnu « {kind} » (document_kind : {})",
                            known.join(", ")
                        ),
                    );
                }
                if f.blank_form_url
                    .as_deref()
                    .is_some_and(|u| !u.starts_with("https://"))
                {
                    self.ctx
                        .err(sid, fid, "blank_form_url doit être une adresse https://");
                }
                if f.accept.is_empty() {
                    self.ctx.err(sid, fid, "champ fichier sans types acceptés (accept), par exemple [\"application/pdf\", \"image/jpeg\", \"image/png\"]");
                }
                for t in &f.accept {
                    if !MIME_TYPES.contains(&t.as_str()) {
                        self.ctx.err(
                            sid,
                            fid,
                            format!(
                                "type de fichier inconnu « {t} » (types possibles : {})",
                                MIME_TYPES.join(", ")
                            ),
                        );
                    }
                }
            }
            FieldType::Group => {
                if in_group {
                    self.ctx.err(
                        sid,
                        fid,
                        "un groupe répétable ne peut pas contenir un autre groupe",
                    );
                }
                if f.fields.is_empty() {
                    self.ctx.err(sid, fid, "groupe répétable sans champs (fields)");
                }
                if let (Some(min), Some(max)) = (f.min_items, f.max_items)
                    && min > max
                {
                    self.ctx.err(sid, fid, "min_items est plus grand que max_items");
                }
            }
            FieldType::Computed if f.expr.is_none() => {
                self.ctx.err(sid, fid, "valeur calculée sans expression (expr)");
            }
            FieldType::Commune => match f.postal_code_field.as_deref() {
                None => self.ctx.err(sid, fid, "champ commune sans postal_code_field"),
                Some(p) => {
                    let ok = self
                        .fields
                        .get(p)
                        .is_some_and(|pf| pf.kind == FieldType::PostalCode);
                    if !ok {
                        self.ctx.err(
                            sid,
                            fid,
                            format!("postal_code_field « {p} » n’est pas un champ code postal demandé avant"),
                        );
                    }
                }
            },
            _ => {}
        }
        if f.kind != FieldType::Group && !f.fields.is_empty() {
            self.ctx.err(
                sid,
                fid,
                "seul un groupe répétable (type = \"group\") peut contenir des champs",
            );
        }
        let mut bounds = DateBounds::default();
        for (src, slot, key) in [
            (&f.min_date, &mut bounds.min, "min_date"),
            (&f.max_date, &mut bounds.max, "max_date"),
        ] {
            if let Some(s) = src {
                match DateBound::parse(s) {
                    Some(b) => *slot = Some(b),
                    None => self.ctx.err(
                        sid,
                        fid,
                        format!("{key} « {s} » invalide : AAAA-MM-JJ ou today, today-12m, today-60y…"),
                    ),
                }
            }
        }
        if f.kind == FieldType::Static && (f.required.is_some() || f.required_if.is_some()) {
            self.ctx
                .err(sid, fid, "un bloc de texte ne peut pas être obligatoire");
        }
        let visible_if = self.condition(f.visible_if.as_ref(), "la condition visible_if", sid, fid, extra);
        let required_if = self.condition(
            f.required_if.as_ref(),
            "la condition required_if",
            sid,
            fid,
            extra,
        );
        let computed = match (&f.kind, &f.expr) {
            (FieldType::Computed, Some(e)) => self.compile(e, "l’expression calculée", sid, fid, extra),
            (_, Some(_)) => {
                self.ctx.err(
                    sid,
                    fid,
                    "seule une valeur calculée (type = \"computed\") a une expression (expr)",
                );
                None
            }
            _ => None,
        };
        let mut children = Vec::new();
        if f.kind == FieldType::Group {
            let mut item_scope = extra.clone();
            for c in &f.fields {
                self.fields.insert(c.id.clone(), c.clone());
                let child = self.field(c, step, &mut item_scope, true);
                if child.def.kind != FieldType::Static {
                    item_scope.insert(c.id.clone(), child.ty.clone());
                }
                children.push(child);
            }
        }
        let ty = field_ty(f, &children, computed.as_ref());
        CField {
            def: f.clone(),
            bounds,
            visible_if,
            required_if,
            expr: computed,
            children,
            ty,
        }
    }
}

/// The text with its shared parts written out (itself when it uses none).
fn with_parts<'a>(text: &'a str, file: &str) -> Result<std::borrow::Cow<'a, str>, CheckError> {
    match crate::parts::expand(text) {
        Ok(Some(t)) => Ok(std::borrow::Cow::Owned(t)),
        Ok(None) => Ok(std::borrow::Cow::Borrowed(text)),
        Err(message) => Err(CheckError {
            file: file.to_owned(),
            step: None,
            field: None,
            message,
        }),
    }
}

/// Parses and checks; on success the compiled definition.
pub(crate) fn build(text: &str, file: &str) -> Result<FormDefinition, Vec<CheckError>> {
    build_variant(text, file, None)
}

fn keep(variants: &[String], chosen: &str) -> bool {
    variants.is_empty() || variants.iter().any(|v| v == chosen)
}

fn param_ty(v: &ParamValue) -> Ty {
    match v {
        ParamValue::Bool(_) => Ty::Bool,
        ParamValue::Integer(_) => Ty::Int,
        ParamValue::Decimal(_) => Ty::Double,
        ParamValue::Text(_) => Ty::String,
        ParamValue::List(_) => Ty::List(Box::new(Ty::String)),
    }
}

fn param_value(v: &ParamValue) -> cel::Value {
    match v {
        ParamValue::Bool(b) => cel::Value::Bool(*b),
        ParamValue::Integer(i) => cel::Value::Int(*i),
        ParamValue::Decimal(d) => cel::Value::Float(*d),
        ParamValue::Text(t) => cel::Value::String(std::sync::Arc::new(t.clone())),
        ParamValue::List(l) => cel::Value::List(std::sync::Arc::new(
            l.iter()
                .map(|x| cel::Value::String(std::sync::Arc::new(x.clone())))
                .collect(),
        )),
    }
}

/// Checks the variants and keeps only what belongs to the chosen one (the first when none is chosen).
/// Returns the chosen id with the type and value of `params`.
fn select_variant(
    ctx: &mut Ctx<'_>,
    def: &mut Definition,
    variant: Option<&str>,
    excluded: &mut Vec<Field>,
) -> Option<(String, Ty, cel::Value)> {
    let ids: Vec<String> = def.variants.iter().map(|v| v.id.clone()).collect();
    let mut refs: Vec<(Option<String>, Option<String>, String)> = Vec::new();
    for s in &def.steps {
        refs.extend(s.variants.iter().map(|v| (Some(s.id.clone()), None, v.clone())));
        for r in &s.rules {
            refs.extend(
                r.variants
                    .iter()
                    .map(|v| (Some(s.id.clone()), Some(r.field.clone()), v.clone())),
            );
        }
        for f in s
            .fields
            .iter()
            .flat_map(|f| std::iter::once(f).chain(f.fields.iter()))
        {
            refs.extend(
                f.variants
                    .iter()
                    .map(|v| (Some(s.id.clone()), Some(f.id.clone()), v.clone())),
            );
            for o in &f.options {
                refs.extend(
                    o.variants
                        .iter()
                        .map(|v| (Some(s.id.clone()), Some(f.id.clone()), v.clone())),
                );
            }
        }
    }
    for (step, field, v) in &refs {
        if !ids.contains(v) {
            ctx.err(
                step.as_deref(),
                field.as_deref(),
                format!("variante inconnue « {v} » (déclarez-la dans [[variants]])"),
            );
        }
    }
    let Some(first) = def.variants.first() else {
        if let Some(v) = variant {
            ctx.err(
                None,
                None,
                format!("la démarche n’a pas de variantes : « {v} » ne peut pas être choisie"),
            );
        }
        return None;
    };
    let first_keys: BTreeMap<String, Ty> = first
        .params
        .iter()
        .map(|(k, v)| (k.clone(), param_ty(v)))
        .collect();
    let mut seen = HashSet::new();
    for v in &def.variants {
        if !seen.insert(v.id.as_str()) {
            ctx.err(None, None, format!("variante « {} » en double", v.id));
        }
        if v.label.trim().is_empty() {
            ctx.err(
                None,
                None,
                format!("libellé en français manquant pour la variante « {} »", v.id),
            );
        }
        let keys: BTreeMap<String, Ty> = v.params.iter().map(|(k, x)| (k.clone(), param_ty(x))).collect();
        for (k, t) in &first_keys {
            match keys.get(k) {
                None => ctx.err(
                    None,
                    None,
                    format!("variante « {} » : le paramètre « {k} » manque", v.id),
                ),
                Some(t2) if t2 != t => ctx.err(
                    None,
                    None,
                    format!(
                        "variante « {} » : le paramètre « {k} » n’a pas le même type que dans « {} »",
                        v.id, first.id
                    ),
                ),
                _ => {}
            }
        }
        for k in keys.keys().filter(|k| !first_keys.contains_key(*k)) {
            ctx.err(
                None,
                None,
                format!(
                    "variante « {} » : le paramètre « {k} » n’existe pas dans « {} »",
                    v.id, first.id
                ),
            );
        }
    }
    let chosen = match variant {
        None => first.clone(),
        Some(id) => match def.variants.iter().find(|v| v.id == id) {
            Some(v) => v.clone(),
            None => {
                ctx.err(
                    None,
                    None,
                    format!("variante inconnue « {id} » (variantes : {})", ids.join(", ")),
                );
                return None;
            }
        },
    };
    let c = chosen.id.as_str();
    for s in def.steps.iter().filter(|s| !keep(&s.variants, c)) {
        excluded.extend(
            s.fields
                .iter()
                .flat_map(|f| std::iter::once(f).chain(f.fields.iter()))
                .cloned(),
        );
    }
    def.steps.retain(|s| keep(&s.variants, c));
    for s in &mut def.steps {
        for f in s.fields.iter().filter(|f| !keep(&f.variants, c)) {
            excluded.extend(std::iter::once(f).chain(f.fields.iter()).cloned());
        }
        s.fields.retain(|f| keep(&f.variants, c));
        s.rules.retain(|r| keep(&r.variants, c));
        for f in &mut s.fields {
            f.options.retain(|o| keep(&o.variants, c));
            excluded.extend(f.fields.iter().filter(|x| !keep(&x.variants, c)).cloned());
            f.fields.retain(|x| keep(&x.variants, c));
            for x in &mut f.fields {
                x.options.retain(|o| keep(&o.variants, c));
            }
        }
    }
    let ty = Ty::Obj(std::sync::Arc::new(first_keys));
    let value: HashMap<String, cel::Value> = chosen
        .params
        .iter()
        .map(|(k, v)| (k.clone(), param_value(v)))
        .collect();
    Some((chosen.id.clone(), ty, cel::Value::from(value)))
}

/// Builds the definition for one variant (`None`: the first one, or no variant).
pub(crate) fn build_variant(
    text: &str,
    file: &str,
    variant: Option<&str>,
) -> Result<FormDefinition, Vec<CheckError>> {
    let text = with_parts(text, file).map_err(|e| vec![e])?;
    let text = text.as_ref();
    let mut ctx = Ctx {
        file,
        errors: Vec::new(),
    };
    let mut def: Definition = match toml::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            ctx.err(None, None, format!("TOML invalide : {}", e.to_string().trim()));
            return Err(ctx.errors);
        }
    };
    let mut all_options: HashMap<String, HashSet<String>> = HashMap::new();
    for f in def
        .steps
        .iter()
        .flat_map(|s| s.fields.iter())
        .flat_map(|f| std::iter::once(f).chain(f.fields.iter()))
    {
        all_options
            .entry(f.id.clone())
            .or_default()
            .extend(f.options.iter().map(|o| o.value.clone()));
    }
    let mut excluded = Vec::new();
    let selected = select_variant(&mut ctx, &mut def, variant, &mut excluded);
    if !def
        .id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        || def.id.is_empty()
    {
        ctx.err(
            None,
            None,
            format!(
                "identifiant de démarche « {} » invalide : minuscules, chiffres, - et _",
                def.id
            ),
        );
    }
    if def.title.trim().is_empty() {
        ctx.err(None, None, "titre en français manquant (title)");
    }
    if let Some(d) = &def.deadline
        && d.days.is_some() == d.months.is_some()
    {
        ctx.err(
            None,
            None,
            "le délai (deadline) doit avoir soit days, soit months",
        );
    }
    if let Some(r) = &def.retention {
        if r.draft_months == 0 || r.decided_years == 0 {
            ctx.err(
                None,
                None,
                "la durée de conservation (retention) doit être d’au moins 1 mois pour les brouillons \
                 (draft_months) et 1 an pour les dossiers décidés (decided_years)",
            );
        }
        if r.basis.trim().is_empty() {
            ctx.err(
                None,
                None,
                "la base légale de la durée de conservation manque (retention.basis)",
            );
        }
    }
    if let Some(r) = &def.renewal {
        if r.months_before == 0 || r.months_before > 24 {
            ctx.err(
                None,
                None,
                "le rappel de renouvellement (renewal.months_before) se compte de 1 à 24 mois avant la fin du droit",
            );
        }
        if r.reference.trim().is_empty() {
            ctx.err(
                None,
                None,
                "la raison du délai de renouvellement manque (renewal.reference)",
            );
        }
        for s in r
            .check_steps
            .iter()
            .filter(|s| !def.steps.iter().any(|d| &d.id == *s))
        {
            ctx.err(
                None,
                None,
                format!("renewal.check_steps : étape « {s} » inconnue"),
            );
        }
    }
    if def.steps.is_empty() {
        ctx.err(None, None, "la démarche n’a aucune étape (steps)");
    }

    // Ids first, so expressions can tell an unknown field from one asked later.
    let mut all_ids = BTreeSet::new();
    let mut id_steps: HashMap<String, String> = HashMap::new();
    let mut step_ids = HashSet::new();
    for s in &def.steps {
        if !step_ids.insert(s.id.as_str()) {
            ctx.err(
                Some(&s.id),
                None,
                format!("identifiant d’étape « {} » en double", s.id),
            );
        }
        if s.title.trim().is_empty() {
            ctx.err(Some(&s.id), None, "titre d’étape en français manquant (title)");
        }
        for f in s
            .fields
            .iter()
            .flat_map(|f| std::iter::once(f).chain(f.fields.iter()))
        {
            if !valid_ident(&f.id) {
                ctx.err(
                    Some(&s.id),
                    Some(&f.id),
                    "identifiant invalide : minuscules, chiffres et _, sans mot réservé de CEL",
                );
            }
            if let Some(prev) = id_steps.get(&f.id) {
                ctx.err(
                    Some(&s.id),
                    Some(&f.id),
                    format!("identifiant de champ en double (déjà utilisé à l’étape « {prev} »)"),
                );
            } else {
                id_steps.insert(f.id.clone(), s.id.clone());
            }
            all_ids.insert(f.id.clone());
        }
    }
    let mut section_ids = HashSet::new();
    for sec in &def.sections {
        if !section_ids.insert(sec.id.as_str()) {
            ctx.err(
                None,
                None,
                format!("identifiant de section « {} » en double", sec.id),
            );
        }
        if sec.title.trim().is_empty() {
            ctx.err(
                None,
                None,
                format!("titre en français manquant pour la section « {} »", sec.id),
            );
        }
    }
    let simulation_linked = def.simulation.is_some();

    let mut available = HashMap::new();
    if let Some((_, ty, _)) = &selected {
        available.insert("params".to_string(), ty.clone());
    }
    // Fields of other variants stay known to expressions, always unanswered (like a hidden field).
    let mut excluded_kinds = HashMap::new();
    for f in &excluded {
        if !all_ids.contains(&f.id) {
            all_ids.insert(f.id.clone());
            available.insert(f.id.clone(), field_ty(f, &[], None));
            excluded_kinds.insert(f.id.clone(), f.kind);
        }
    }
    let mut b = Builder {
        ctx,
        env: expr::new_env(),
        all_ids,
        available,
        fields: HashMap::new(),
        all_options,
    };
    let mut sections: Vec<CSection> = def
        .sections
        .iter()
        .map(|_| CSection { visible_if: None })
        .collect();
    let mut compiled_sections = HashSet::new();
    let mut steps = Vec::with_capacity(def.steps.len());
    let mut index = HashMap::new();
    let mut last_section: Option<usize> = None;
    let mut closed_sections = HashSet::new();
    for (si, s) in def.steps.iter().enumerate() {
        let section = match (&s.section, def.sections.is_empty()) {
            (None, true) => None,
            (None, false) => {
                b.ctx.err(
                    Some(&s.id),
                    None,
                    "la démarche a des sections : indiquez la section de l’étape (section)",
                );
                None
            }
            (Some(sec), _) => match def.sections.iter().position(|x| x.id == *sec) {
                Some(i) => Some(i),
                None => {
                    b.ctx
                        .err(Some(&s.id), None, format!("section inconnue « {sec} »"));
                    None
                }
            },
        };
        if section != last_section {
            if let Some(prev) = last_section {
                closed_sections.insert(prev);
            }
            if let Some(cur) = section
                && closed_sections.contains(&cur)
            {
                b.ctx.err(
                    Some(&s.id),
                    None,
                    "les étapes d’une même section doivent se suivre",
                );
            }
            last_section = section;
        }
        if let Some(sec) = section
            && compiled_sections.insert(sec)
        {
            let src = def.sections[sec].visible_if.clone();
            let c = b.condition(
                src.as_ref(),
                "la condition visible_if de la section",
                Some(&s.id),
                None,
                &HashMap::new(),
            );
            sections[sec].visible_if = c;
        }
        let visible_if = b.condition(
            s.visible_if.as_ref(),
            "la condition visible_if de l’étape",
            Some(&s.id),
            None,
            &HashMap::new(),
        );
        let mut fields = Vec::with_capacity(s.fields.len());
        let step_conditional =
            s.visible_if.is_some() || section.is_some_and(|sec| def.sections[sec].visible_if.is_some());
        for (fi, f) in s.fields.iter().enumerate() {
            // The start page lists the documents before any answer: a conditional one says when, in words.
            if f.kind == FieldType::File
                && (step_conditional || f.visible_if.is_some() || f.required_if.is_some())
                && f.asked_when.as_deref().is_none_or(|w| w.trim().is_empty())
            {
                b.ctx.err(
                    Some(&s.id),
                    Some(&f.id),
                    "document demandé sous condition sans asked_when : dites en mots quand il est demandé, pour la page de présentation (par exemple asked_when = \"si vous demandez la PCH\")",
                );
            }
            if f.simulation_input.is_some() && !simulation_linked {
                b.ctx.err(
                    Some(&s.id),
                    Some(&f.id),
                    "simulation_input sans simulation liée (simulation = \"…\" en tête du fichier)",
                );
            }
            b.fields.insert(f.id.clone(), f.clone());
            let cf = b.field(f, &s.id, &mut HashMap::new(), false);
            index.entry(f.id.clone()).or_insert(FieldLoc {
                step: si,
                index: fi,
                child: None,
            });
            for (ci, c) in cf.children.iter().enumerate() {
                index.entry(c.def.id.clone()).or_insert(FieldLoc {
                    step: si,
                    index: fi,
                    child: Some(ci),
                });
            }
            if cf.def.kind != FieldType::Static {
                b.available.insert(f.id.clone(), cf.ty.clone());
            }
            fields.push(cf);
        }
        let mut rules = Vec::new();
        for r in &s.rules {
            if r.message.trim().is_empty() {
                b.ctx.err(
                    Some(&s.id),
                    Some(&r.field),
                    "règle sans message d’erreur en français (message)",
                );
            }
            if !s.fields.iter().any(|f| f.id == r.field) {
                b.ctx.err(
                    Some(&s.id),
                    Some(&r.field),
                    "la règle est rattachée à un champ qui n’est pas dans cette étape",
                );
            }
            if let Some(c) = b.condition(
                Some(&r.expr),
                "la règle",
                Some(&s.id),
                Some(&r.field),
                &HashMap::new(),
            ) {
                rules.push(CRule {
                    compiled: c,
                    message: r.message.clone(),
                    field: r.field.clone(),
                });
            }
        }
        steps.push(CStep {
            section,
            visible_if,
            fields,
            rules,
        });
    }

    let (rights_if, representative_if, filer_if) = rights_and_parties(&mut b, &def, &index, &excluded_kinds);

    let Builder {
        mut ctx,
        env,
        fields: field_defs,
        ..
    } = b;
    let (variant_id, params) = match selected {
        Some((id, _, value)) => (Some(id), Some(value)),
        None => (None, None),
    };
    reachability(
        &mut ctx,
        &def,
        &sections,
        &steps,
        &field_defs,
        &env,
        params.as_ref(),
    );

    if !ctx.errors.is_empty() {
        return Err(ctx.errors);
    }
    Ok(FormDefinition {
        def,
        hash: content_hash(text),
        text: text.to_owned(),
        source_name: file.to_string(),
        env,
        sections,
        steps,
        index,
        variant: variant_id,
        params,
        excluded: excluded_kinds,
        rights_if,
        representative_if,
        filer_if,
    })
}

/// snake_case: a lower-case letter, then lower-case letters, digits and `_`.
fn snake_case(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks `[[rights]]`, `[[appeals]]` and `[parties]` once every field is known, and compiles the
/// conditions: `requested_if` of each right (by index, `None` when it failed), the representative's
/// `present_if` and the filer's `beneficiary_if`.
fn rights_and_parties(
    b: &mut Builder<'_>,
    def: &Definition,
    index: &HashMap<String, FieldLoc>,
    excluded: &HashMap<String, FieldType>,
) -> (Vec<Option<Compiled>>, Option<Compiled>, Option<Compiled>) {
    let mut appeal_ids = HashSet::new();
    for a in &def.appeals {
        if !snake_case(&a.id) {
            b.ctx.err(
                None,
                None,
                format!(
                    "voie de recours « {} » : identifiant invalide : minuscules, chiffres et _",
                    a.id
                ),
            );
        }
        if !appeal_ids.insert(a.id.as_str()) {
            b.ctx.err(
                None,
                None,
                format!("identifiant de voie de recours « {} » en double", a.id),
            );
        }
        for (text, key) in [
            (&a.administrative, "administrative"),
            (&a.court, "court"),
            (&a.reference, "reference"),
        ] {
            if text.trim().is_empty() {
                b.ctx.err(
                    None,
                    None,
                    format!(
                        "voie de recours « {} » : texte en français manquant ({key})",
                        a.id
                    ),
                );
            }
        }
    }
    let mut right_ids = HashSet::new();
    let mut rights_if = Vec::with_capacity(def.rights.len());
    for r in &def.rights {
        let who = format!("droit « {} »", r.id);
        if !snake_case(&r.id) {
            b.ctx.err(
                None,
                None,
                format!("{who} : identifiant invalide : minuscules, chiffres et _ (snake_case)"),
            );
        }
        if !right_ids.insert(r.id.as_str()) {
            b.ctx
                .err(None, None, format!("identifiant de droit « {} » en double", r.id));
        }
        if r.label.trim().is_empty() {
            b.ctx.err(
                None,
                None,
                format!("{who} : libellé en français manquant (label)"),
            );
        }
        if r.group.as_deref().is_some_and(|g| g.trim().is_empty()) {
            b.ctx.err(None, None, format!("{who} : groupe vide (group)"));
        }
        if r.legal_basis.trim().is_empty() {
            b.ctx
                .err(None, None, format!("{who} : base légale manquante (legal_basis)"));
        }
        if !appeal_ids.contains(r.appeal.as_str()) {
            b.ctx.err(
                None,
                None,
                format!(
                    "{who} : voie de recours inconnue « {} » (déclarez-la dans [[appeals]])",
                    r.appeal
                ),
            );
        }
        if r.default_years == Some(0) {
            b.ctx.err(
                None,
                None,
                format!("{who} : default_years doit être d’au moins 1 an"),
            );
        }
        if r.simulated && def.simulation.is_none() {
            b.ctx.err(
                None,
                None,
                format!("{who} : simulated sans simulation liée (simulation = \"…\" en tête du fichier)"),
            );
        }
        if r.simulated && r.unit.is_none() {
            b.ctx.err(
                None,
                None,
                format!("{who} : simulated demande un montant : indiquez son unité (unit)"),
            );
        }
        let what = format!("{who} : la condition requested_if");
        rights_if.push(b.condition(Some(&r.requested_if), &what, None, None, &HashMap::new()));
    }
    let Some(parties) = &def.parties else {
        return (rights_if, None, None);
    };
    party_fields(b, index, excluded, "parties.beneficiary", &parties.beneficiary);
    let filer_if = parties.filer.as_ref().and_then(|f| {
        for (key, id) in [("name", &f.name), ("relation", &f.relation), ("phone", &f.phone)] {
            if let Some(id) = id {
                party_field(b, index, excluded, "parties.filer", key, id);
            }
        }
        b.condition(
            Some(&f.beneficiary_if),
            "parties.filer : la condition beneficiary_if",
            None,
            None,
            &HashMap::new(),
        )
    });
    let Some(rep) = &parties.representative else {
        return (rights_if, None, filer_if);
    };
    party_fields(b, index, excluded, "parties.representative", &rep.fields);
    if let Some(q) = &rep.quality {
        party_field(b, index, excluded, "parties.representative", "quality", q);
    }
    let present_if = b.condition(
        Some(&rep.present_if),
        "parties.representative : la condition present_if",
        None,
        None,
        &HashMap::new(),
    );
    (rights_if, present_if, filer_if)
}

fn party_fields(
    b: &mut Builder<'_>,
    index: &HashMap<String, FieldLoc>,
    excluded: &HashMap<String, FieldType>,
    who: &str,
    p: &crate::definition::PartyFields,
) {
    let keys = [
        ("civility", p.civility.as_ref()),
        ("last_name", Some(&p.last_name)),
        ("usage_name", p.usage_name.as_ref()),
        ("first_names", p.first_names.as_ref()),
        ("address", p.address.as_ref()),
        ("address_complement", p.address_complement.as_ref()),
        ("postal_code", p.postal_code.as_ref()),
        ("commune", p.commune.as_ref()),
        ("birth_date", p.birth_date.as_ref()),
        ("birth_place", p.birth_place.as_ref()),
    ];
    for (key, id) in keys {
        if let Some(id) = id {
            party_field(b, index, excluded, who, key, id);
        }
    }
}

/// A party value must be a top-level answer: letters are addressed from one value per dossier.
fn party_field(
    b: &mut Builder<'_>,
    index: &HashMap<String, FieldLoc>,
    excluded: &HashMap<String, FieldType>,
    who: &str,
    key: &str,
    id: &str,
) {
    let problem = match (index.get(id), b.fields.get(id)) {
        (Some(loc), _) if loc.child.is_some() => Some("est un champ de groupe répétable"),
        (Some(_), Some(f)) => match f.kind {
            FieldType::Static | FieldType::File | FieldType::Group | FieldType::MultiChoice => {
                Some("ne donne pas un texte (bloc de texte, fichier, groupe ou choix multiple)")
            }
            _ => None,
        },
        // A field of another variant: always unanswered there, like a hidden one.
        _ if excluded.contains_key(id) => None,
        _ => Some("n’est pas un champ de la démarche"),
    };
    if let Some(problem) = problem {
        b.ctx
            .err(None, None, format!("{who}.{key} : le champ « {id} » {problem}"));
    }
}

/// Reports steps that can never be shown and required fields hidden on every path, by evaluating the
/// conditions over sample answers built from each referenced field's options and the expression's literals.
fn reachability(
    ctx: &mut Ctx<'_>,
    def: &Definition,
    sections: &[CSection],
    steps: &[CStep],
    fields: &HashMap<String, Field>,
    env: &std::sync::Arc<cel::Env>,
    params: Option<&cel::Value>,
) {
    let today = chrono::Utc::now().date_naive();
    for (si, s) in steps.iter().enumerate() {
        let sid = def.steps[si].id.as_str();
        let mut conds: Vec<&Compiled> = Vec::new();
        if let Some(sec) = s.section
            && let Some(c) = &sections[sec].visible_if
        {
            conds.push(c);
        }
        if let Some(c) = &s.visible_if {
            conds.push(c);
        }
        if !conds.is_empty() && satisfiable(&conds, fields, env, today, params) == Some(false) {
            ctx.err(
                Some(sid),
                None,
                "l’étape ne peut jamais être affichée : sa condition visible_if est toujours fausse",
            );
            continue;
        }
        for f in &s.fields {
            let Some(own) = &f.visible_if else { continue };
            let mut all = conds.clone();
            all.push(own);
            if satisfiable(&all, fields, env, today, params) == Some(false) {
                let required = f.takes_answer() && f.def.required != Some(false);
                let msg = if required {
                    "champ obligatoire masqué dans tous les parcours : sa condition visible_if ne peut jamais être vraie quand l’étape est affichée"
                } else {
                    "le champ ne peut jamais être affiché : sa condition visible_if ne peut jamais être vraie quand l’étape est affichée"
                };
                ctx.err(Some(sid), Some(f.id()), msg);
            }
        }
    }
}

/// `Some(true)` if some sample makes every condition true, `Some(false)` if none does, `None` when the
/// conditions involve values too rich to sample (repeating groups, files) or too many combinations.
fn satisfiable(
    conds: &[&Compiled],
    fields: &HashMap<String, Field>,
    env: &std::sync::Arc<cel::Env>,
    today: NaiveDate,
    params: Option<&cel::Value>,
) -> Option<bool> {
    let mut lits = Literals::default();
    let mut vars: Vec<&str> = Vec::new();
    for c in conds {
        expr::collect_literals(c.expression(), &mut lits);
        for v in &c.vars {
            if !vars.contains(&v.as_str()) {
                vars.push(v);
            }
        }
    }
    let mut candidates: Vec<Vec<cel::Value>> = Vec::with_capacity(vars.len());
    for v in &vars {
        if *v == "params" {
            candidates.push(vec![params?.clone()]);
            continue;
        }
        let f = fields.get(*v)?;
        candidates.push(samples(f, &lits, today)?);
    }
    let total: usize = candidates
        .iter()
        .map(Vec::len)
        .try_fold(1usize, |acc, n| acc.checked_mul(n))?;
    if total > 50_000 {
        return None;
    }
    let mut idx = vec![0usize; vars.len()];
    loop {
        let lookup = |name: &str| -> cel::Value {
            vars.iter()
                .position(|v| *v == name)
                .map(|i| candidates[i][idx[i]].clone())
                .unwrap_or(cel::Value::Null)
        };
        if conds.iter().all(|c| c.truthy(env, today, &lookup)) {
            return Some(true);
        }
        // Odometer increment over the cartesian product.
        let mut k = 0;
        loop {
            if k == idx.len() {
                return Some(false);
            }
            idx[k] += 1;
            if idx[k] < candidates[k].len() {
                break;
            }
            idx[k] = 0;
            k += 1;
        }
    }
}

fn samples(f: &Field, lits: &Literals, today: NaiveDate) -> Option<Vec<cel::Value>> {
    use cel::Value as V;
    let s = |x: &str| V::String(std::sync::Arc::new(x.to_string()));
    let mut out = vec![V::Null];
    match f.kind {
        FieldType::YesNo => out.extend([V::Bool(true), V::Bool(false)]),
        FieldType::Choice => out.extend(f.options.iter().map(|o| s(&o.value))),
        FieldType::MultiChoice => {
            out = vec![V::List(std::sync::Arc::new(Vec::new()))];
            for o in &f.options {
                out.push(V::List(std::sync::Arc::new(vec![s(&o.value)])));
            }
            out.push(V::List(std::sync::Arc::new(
                f.options.iter().map(|o| s(&o.value)).collect(),
            )));
        }
        FieldType::Integer | FieldType::Money => {
            out.push(V::Int(0));
            for &l in &lits.ints {
                out.extend([V::Int(l - 1), V::Int(l), V::Int(l + 1)]);
            }
            for &d in &lits.doubles {
                out.push(V::Int(d.floor() as i64));
                out.push(V::Int(d.ceil() as i64 + 1));
            }
        }
        FieldType::Decimal => {
            out.push(V::Float(0.0));
            for x in lits
                .ints
                .iter()
                .map(|&i| i as f64)
                .chain(lits.doubles.iter().copied())
            {
                out.extend([V::Float(x - 0.5), V::Float(x), V::Float(x + 0.5)]);
            }
        }
        FieldType::Date => {
            let iso = |d: NaiveDate| s(&d.format("%Y-%m-%d").to_string());
            out.push(iso(today));
            for &l in &lits.ints {
                let Ok(n) = u32::try_from(l) else { continue };
                for months in [n.saturating_mul(12), n] {
                    if let Some(d) = today.checked_sub_months(chrono::Months::new(months)) {
                        out.extend([
                            iso(d - chrono::Duration::days(1)),
                            iso(d),
                            iso(d + chrono::Duration::days(1)),
                        ]);
                    }
                }
            }
            for lit in &lits.strings {
                if let Ok(d) = NaiveDate::parse_from_str(lit, "%Y-%m-%d") {
                    out.extend([
                        iso(d - chrono::Duration::days(1)),
                        iso(d),
                        iso(d + chrono::Duration::days(1)),
                    ]);
                }
            }
        }
        FieldType::Text
        | FieldType::Textarea
        | FieldType::Email
        | FieldType::Phone
        | FieldType::PostalCode
        | FieldType::Commune
        | FieldType::Nir
        | FieldType::Iban => {
            out.extend([s(""), s("x")]);
            out.extend(lits.strings.iter().map(|x| s(x)));
        }
        FieldType::File | FieldType::Group | FieldType::Computed | FieldType::Static => return None,
    }
    Some(out)
}
