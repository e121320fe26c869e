//! CEL conditions: compilation with the `cel` crate, a static type check over its AST, and evaluation.
//!
//! The `cel` crate is an interpreter without a checker, so conditions are type-checked here by walking
//! the parsed AST with the declared type of each field. Only the inference is ours: parsing, macros and
//! evaluation are the crate's.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use cel::common::ast::{Expr, IdedExpr, LiteralValue};
use cel::{Context, Env, ExecutionError, Program, Value};
use chrono::{Datelike, NaiveDate};

/// Static type of a CEL expression or field.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Bool,
    Int,
    Double,
    String,
    /// A date: an ISO `YYYY-MM-DD` string at run time, kept apart for messages and samples.
    Date,
    Null,
    List(Box<Ty>),
    /// One item of a repeating group: sub-field id → type.
    Obj(Arc<BTreeMap<String, Ty>>),
    Map,
    Dyn,
}

impl Ty {
    /// French name for checker messages.
    pub fn name(&self) -> String {
        match self {
            Ty::Bool => "un booléen (oui/non)".into(),
            Ty::Int => "un nombre entier".into(),
            Ty::Double => "un nombre décimal".into(),
            Ty::String => "un texte".into(),
            Ty::Date => "une date (texte AAAA-MM-JJ)".into(),
            Ty::Null => "null".into(),
            Ty::List(t) => format!("une liste dont chaque élément est {}", t.name()),
            Ty::Obj(_) => "un élément de groupe répétable".into(),
            Ty::Map => "une table".into(),
            Ty::Dyn => "une valeur".into(),
        }
    }

    fn is_stringy(&self) -> bool {
        matches!(self, Ty::String | Ty::Date)
    }

    fn is_numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Double)
    }

    fn is_dyn(&self) -> bool {
        matches!(self, Ty::Dyn)
    }
}

/// Why an expression was refused at load.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprError {
    Syntax(String),
    UnknownField(String),
    /// Reference to a field asked later in the journey (or to itself): its answer is not known yet.
    LaterField(String),
    UnknownFunction(String),
    Type(String),
}

impl std::fmt::Display for ExprError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExprError::Syntax(m) => write!(f, "expression CEL invalide : {m}"),
            ExprError::UnknownField(n) => write!(f, "champ inconnu « {n} » dans l’expression"),
            ExprError::LaterField(n) => write!(
                f,
                "l’expression utilise le champ « {n} », qui n’est demandé qu’après : sa réponse n’est pas encore connue"
            ),
            ExprError::UnknownFunction(n) => write!(f, "fonction inconnue « {n} » dans l’expression"),
            ExprError::Type(m) => write!(f, "erreur de type dans l’expression : {m}"),
        }
    }
}

/// What an expression may refer to at its place in the definition.
pub struct TypeScope<'a> {
    /// Fields answered before this point, with their types.
    pub available: &'a HashMap<String, Ty>,
    /// Every field id of the definition, to tell "unknown" from "asked later".
    pub all_ids: &'a BTreeSet<String>,
}

/// A compiled condition or computation.
#[derive(Debug)]
pub struct Compiled {
    program: Program,
    /// Field ids referenced (comprehension variables excluded).
    pub vars: Vec<String>,
    pub ty: Ty,
    uses_age: bool,
    uses_months: bool,
}

/// Functions this engine adds to CEL, with their types: `age(date)` in full years at today's date and
/// `months_since(date)` in full months.
const OUR_FUNCTIONS: &[&str] = &["age", "months_since"];

pub fn new_env() -> Arc<Env> {
    Arc::new(Env::stdlib())
}

/// Parses and type-checks `source` in `scope`.
pub fn compile(env: &Env, source: &str, scope: &TypeScope<'_>) -> Result<Compiled, ExprError> {
    let program = env
        .compile(source)
        .map_err(|e| ExprError::Syntax(e.to_string().lines().next().unwrap_or_default().to_string()))?;
    let mut checker = Checker {
        scope,
        locals: Vec::new(),
        vars: BTreeSet::new(),
    };
    let ty = checker.infer(program.expression())?;
    let refs = program.references();
    let uses_age = refs.has_function("age");
    let uses_months = refs.has_function("months_since");
    Ok(Compiled {
        vars: checker.vars.into_iter().collect(),
        program,
        ty,
        uses_age,
        uses_months,
    })
}

struct Checker<'s, 'a> {
    scope: &'s TypeScope<'a>,
    locals: Vec<(String, Ty)>,
    vars: BTreeSet<String>,
}

fn type_err(msg: String) -> ExprError {
    ExprError::Type(msg)
}

/// Whether two types may be compared with `==`.
fn comparable(a: &Ty, b: &Ty) -> bool {
    if a.is_dyn() || b.is_dyn() || *a == Ty::Null || *b == Ty::Null {
        return true;
    }
    if a.is_numeric() && b.is_numeric() {
        return true;
    }
    if a.is_stringy() && b.is_stringy() {
        return true;
    }
    match (a, b) {
        (Ty::List(x), Ty::List(y)) => comparable(x, y),
        (Ty::Obj(_), Ty::Obj(_)) | (Ty::Map, Ty::Map) | (Ty::Obj(_), Ty::Map) | (Ty::Map, Ty::Obj(_)) => true,
        _ => a == b,
    }
}

fn expr_label(e: &IdedExpr) -> String {
    match &e.expr {
        Expr::Ident(n) => format!("« {n} »"),
        Expr::Literal(LiteralValue::String(s)) => format!("'{}'", s.inner()),
        Expr::Literal(LiteralValue::Int(i)) => i.inner().to_string(),
        Expr::Select(s) => format!("« {} »", s.field),
        _ => "l’opérande".to_string(),
    }
}

impl Checker<'_, '_> {
    fn lookup(&mut self, name: &str) -> Result<Ty, ExprError> {
        if let Some((_, t)) = self.locals.iter().rev().find(|(n, _)| n == name) {
            return Ok(t.clone());
        }
        if let Some(t) = self.scope.available.get(name) {
            self.vars.insert(name.to_string());
            return Ok(t.clone());
        }
        if self.scope.all_ids.contains(name) {
            return Err(ExprError::LaterField(name.to_string()));
        }
        Err(ExprError::UnknownField(name.to_string()))
    }

    fn infer(&mut self, e: &IdedExpr) -> Result<Ty, ExprError> {
        match &e.expr {
            Expr::Unspecified => Ok(Ty::Dyn),
            Expr::Literal(l) => Ok(match l {
                LiteralValue::Boolean(_) => Ty::Bool,
                LiteralValue::Int(_) | LiteralValue::UInt(_) => Ty::Int,
                LiteralValue::Double(_) => Ty::Double,
                LiteralValue::String(_) => Ty::String,
                LiteralValue::Bytes(_) => Ty::Dyn,
                LiteralValue::Null => Ty::Null,
            }),
            Expr::Ident(name) => self.lookup(name),
            Expr::Select(sel) => {
                let operand = self.infer(&sel.operand)?;
                if sel.test {
                    return Ok(Ty::Bool);
                }
                match operand {
                    Ty::Obj(fields) => fields
                        .get(&sel.field)
                        .cloned()
                        .ok_or_else(|| ExprError::UnknownField(sel.field.clone())),
                    Ty::Map | Ty::Dyn => Ok(Ty::Dyn),
                    other => Err(type_err(format!(
                        "« .{} » appliqué à {}, qui n’a pas de sous-champs",
                        sel.field,
                        other.name()
                    ))),
                }
            }
            Expr::List(list) => {
                let mut elem: Option<Ty> = None;
                for el in &list.elements {
                    let t = self.infer(el)?;
                    elem = Some(match elem {
                        None => t,
                        Some(prev) if prev == t => prev,
                        Some(prev) if prev.is_stringy() && t.is_stringy() => Ty::String,
                        Some(_) => Ty::Dyn,
                    });
                }
                Ok(Ty::List(Box::new(elem.unwrap_or(Ty::Dyn))))
            }
            Expr::Map(map) => {
                for entry in &map.entries {
                    if let cel::common::ast::EntryExpr::MapEntry(me) = &entry.expr {
                        self.infer(&me.key)?;
                        self.infer(&me.value)?;
                    }
                }
                Ok(Ty::Map)
            }
            Expr::Struct(_) => Err(type_err("les structures ne sont pas prises en charge".into())),
            Expr::Comprehension(c) => {
                let range = self.infer(&c.iter_range)?;
                let elem = match &range {
                    Ty::List(t) => (**t).clone(),
                    Ty::Map | Ty::Dyn => Ty::Dyn,
                    other => {
                        return Err(type_err(format!(
                            "all/exists/map/filter s’appliquent à une liste, pas à {}",
                            other.name()
                        )));
                    }
                };
                let accu_init = self.infer(&c.accu_init)?;
                self.locals.push((c.iter_var.clone(), elem));
                if let Some(v2) = &c.iter_var2 {
                    self.locals.push((v2.clone(), Ty::Dyn));
                }
                self.locals.push((c.accu_var.clone(), accu_init));
                let cond = self.infer(&c.loop_cond);
                let step = self.infer(&c.loop_step);
                let result = match (cond, step) {
                    (Ok(_), Ok(step_ty)) => {
                        if let Some(last) = self.locals.last_mut()
                            && matches!(last.1, Ty::List(ref t) if t.is_dyn())
                        {
                            last.1 = step_ty;
                        }
                        self.infer(&c.result)
                    }
                    (Err(e), _) | (_, Err(e)) => Err(e),
                };
                let pops = if c.iter_var2.is_some() { 3 } else { 2 };
                for _ in 0..pops {
                    self.locals.pop();
                }
                result
            }
            Expr::Call(call) => self.infer_call(&call.func_name, call.target.as_deref(), &call.args),
        }
    }

    fn infer_call(
        &mut self,
        name: &str,
        target: Option<&IdedExpr>,
        args: &[IdedExpr],
    ) -> Result<Ty, ExprError> {
        use cel::common::ast::operators as op;
        let arg_tys: Vec<Ty> = args.iter().map(|a| self.infer(a)).collect::<Result<_, _>>()?;
        let target_ty = target.map(|t| self.infer(t)).transpose()?;
        let want_bool = |t: &Ty, what: &str| -> Result<(), ExprError> {
            if matches!(t, Ty::Bool | Ty::Dyn) {
                Ok(())
            } else {
                Err(type_err(format!(
                    "{what} attend un booléen (oui/non), pas {}",
                    t.name()
                )))
            }
        };
        match (name, target_ty.as_ref(), arg_tys.as_slice()) {
            (op::LOGICAL_AND | op::LOGICAL_OR, None, [a, b]) => {
                want_bool(a, "« && » / « || »")?;
                want_bool(b, "« && » / « || »")?;
                Ok(Ty::Bool)
            }
            (op::LOGICAL_NOT | op::NOT_STRICTLY_FALSE, None, [a]) => {
                want_bool(a, "« ! »")?;
                Ok(Ty::Bool)
            }
            (op::EQUALS | op::NOT_EQUALS, None, [a, b]) => {
                if comparable(a, b) {
                    Ok(Ty::Bool)
                } else {
                    Err(type_err(format!(
                        "{} est {} et ne peut pas être comparé à {}, qui est {}",
                        expr_label(&args[0]),
                        a.name(),
                        expr_label(&args[1]),
                        b.name()
                    )))
                }
            }
            (op::LESS | op::LESS_EQUALS | op::GREATER | op::GREATER_EQUALS, None, [a, b]) => {
                let ok = a.is_dyn()
                    || b.is_dyn()
                    || (a.is_numeric() && b.is_numeric())
                    || (a.is_stringy() && b.is_stringy());
                if ok {
                    Ok(Ty::Bool)
                } else {
                    Err(type_err(format!(
                        "{} ({}) et {} ({}) ne peuvent pas être ordonnés",
                        expr_label(&args[0]),
                        a.name(),
                        expr_label(&args[1]),
                        b.name()
                    )))
                }
            }
            (op::ADD, None, [a, b]) => match (a, b) {
                (Ty::Dyn, t) | (t, Ty::Dyn) => Ok(t.clone()),
                (Ty::Int, Ty::Int) => Ok(Ty::Int),
                (Ty::Double, Ty::Double) => Ok(Ty::Double),
                (x, y) if x.is_stringy() && y.is_stringy() => Ok(Ty::String),
                (Ty::List(x), Ty::List(y)) => Ok(Ty::List(Box::new(if x.is_dyn() {
                    (**y).clone()
                } else {
                    (**x).clone()
                }))),
                _ => Err(type_err(format!("« + » entre {} et {}", a.name(), b.name()))),
            },
            (op::SUBSTRACT | op::MULTIPLY | op::DIVIDE | op::MODULO, None, [a, b]) => match (a, b) {
                (Ty::Dyn, t) | (t, Ty::Dyn) if t.is_numeric() || t.is_dyn() => Ok(t.clone()),
                (Ty::Int, Ty::Int) => Ok(Ty::Int),
                (Ty::Double, Ty::Double) if name != op::MODULO => Ok(Ty::Double),
                _ => Err(type_err(format!(
                    "opération arithmétique entre {} et {} (convertissez avec int() ou double())",
                    a.name(),
                    b.name()
                ))),
            },
            (op::NEGATE, None, [a]) if a.is_numeric() || a.is_dyn() => Ok(a.clone()),
            (op::CONDITIONAL, None, [c, t, f]) => {
                want_bool(c, "la condition de « ? : »")?;
                if t == f || f.is_dyn() || *f == Ty::Null {
                    Ok(t.clone())
                } else if t.is_dyn() || *t == Ty::Null {
                    Ok(f.clone())
                } else if comparable(t, f) {
                    Ok(Ty::Dyn)
                } else {
                    Err(type_err(format!(
                        "les deux branches de « ? : » sont {} et {}",
                        t.name(),
                        f.name()
                    )))
                }
            }
            (op::IN, None, [a, b]) => match b {
                Ty::List(elem) if comparable(a, elem) => Ok(Ty::Bool),
                Ty::Map | Ty::Dyn => Ok(Ty::Bool),
                _ => Err(type_err(format!(
                    "« in » cherche {} dans {}, qui ne peut pas le contenir",
                    a.name(),
                    b.name()
                ))),
            },
            (op::INDEX, None, [a, i]) => match (a, i) {
                (Ty::List(elem), Ty::Int | Ty::Dyn) => Ok((**elem).clone()),
                (Ty::Map | Ty::Dyn, _) => Ok(Ty::Dyn),
                (Ty::Obj(_), _) => Ok(Ty::Dyn),
                _ => Err(type_err(format!("indexation de {} par {}", a.name(), i.name()))),
            },
            ("size", None, [a]) | ("size", Some(a), []) => match a {
                Ty::String | Ty::List(_) | Ty::Map | Ty::Dyn | Ty::Obj(_) => Ok(Ty::Int),
                _ => Err(type_err(format!(
                    "size() s’applique à un texte ou une liste, pas à {}",
                    a.name()
                ))),
            },
            ("contains" | "startsWith" | "endsWith", Some(t), [a]) => {
                if (t.is_stringy() || t.is_dyn()) && (a.is_stringy() || a.is_dyn()) {
                    Ok(Ty::Bool)
                } else {
                    Err(type_err(format!(
                        "{name}() s’applique à un texte, pas à {}",
                        t.name()
                    )))
                }
            }
            ("int", None, [_]) => Ok(Ty::Int),
            ("double", None, [_]) => Ok(Ty::Double),
            ("string", None, [_]) => Ok(Ty::String),
            ("age" | "months_since", None, [a]) => {
                if matches!(a, Ty::Date | Ty::Dyn | Ty::String) {
                    Ok(Ty::Int)
                } else {
                    Err(type_err(format!("{name}() attend une date, pas {}", a.name())))
                }
            }
            (other, _, _) => {
                let known = OUR_FUNCTIONS.contains(&other)
                    || other.starts_with('_')
                    || other.starts_with('@')
                    || matches!(
                        other,
                        "size"
                            | "contains"
                            | "startsWith"
                            | "endsWith"
                            | "int"
                            | "double"
                            | "string"
                            | "-_"
                            | "!_"
                    );
                if known {
                    Err(type_err(format!(
                        "« {} » n’accepte pas ces arguments ({})",
                        other.trim_matches('_'),
                        target_ty
                            .iter()
                            .chain(arg_tys.iter())
                            .map(Ty::name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                } else {
                    Err(ExprError::UnknownFunction(other.to_string()))
                }
            }
        }
    }
}

/// Full years between `from` and `today` (an age).
pub fn years_between(from: NaiveDate, today: NaiveDate) -> i64 {
    let mut years = i64::from(today.year() - from.year());
    if (today.month(), today.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    years
}

/// Full months between `from` and `today`.
pub fn months_between(from: NaiveDate, today: NaiveDate) -> i64 {
    let mut months =
        i64::from(today.year() - from.year()) * 12 + i64::from(today.month()) - i64::from(from.month());
    if today.day() < from.day() {
        months -= 1;
    }
    months
}

fn parse_date_arg(s: &str) -> Result<NaiveDate, ExecutionError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| ExecutionError::function_error("age", "date invalide"))
}

impl Compiled {
    /// Evaluates with `lookup` giving each referenced field's value (`Value::Null` when unanswered).
    pub fn eval(
        &self,
        env: &Arc<Env>,
        today: NaiveDate,
        lookup: &dyn Fn(&str) -> Value,
    ) -> Result<Value, ExecutionError> {
        let mut ctx = Context::with_env(Arc::clone(env));
        for v in &self.vars {
            ctx.add_variable_from_value(v.as_str(), lookup(v));
        }
        if self.uses_age {
            ctx.add_function("age", move |d: Arc<String>| -> Result<i64, ExecutionError> {
                Ok(years_between(parse_date_arg(&d)?, today))
            })
            .map_err(|e| ExecutionError::function_error("age", e))?;
        }
        if self.uses_months {
            ctx.add_function(
                "months_since",
                move |d: Arc<String>| -> Result<i64, ExecutionError> {
                    Ok(months_between(parse_date_arg(&d)?, today))
                },
            )
            .map_err(|e| ExecutionError::function_error("months_since", e))?;
        }
        self.program.execute(&ctx)
    }

    /// Evaluates a condition: any evaluation error (typically an unanswered field compared with `<`)
    /// counts as false, so a condition on a missing answer does not show or require anything.
    pub fn truthy(&self, env: &Arc<Env>, today: NaiveDate, lookup: &dyn Fn(&str) -> Value) -> bool {
        matches!(self.eval(env, today, lookup), Ok(Value::Bool(true)))
    }

    pub fn expression(&self) -> &IdedExpr {
        self.program.expression()
    }
}

/// Literals found in an expression, used to pick sample values when looking for a path that shows a step.
#[derive(Default, Debug)]
pub struct Literals {
    pub ints: BTreeSet<i64>,
    pub doubles: Vec<f64>,
    pub strings: BTreeSet<String>,
}

pub fn collect_literals(e: &IdedExpr, out: &mut Literals) {
    match &e.expr {
        Expr::Literal(LiteralValue::Int(i)) => {
            out.ints.insert(*i.inner());
        }
        Expr::Literal(LiteralValue::Double(d)) => out.doubles.push(*d.inner()),
        Expr::Literal(LiteralValue::String(s)) => {
            out.strings.insert(s.inner().to_string());
        }
        Expr::Literal(_) | Expr::Ident(_) | Expr::Unspecified => {}
        Expr::Select(s) => collect_literals(&s.operand, out),
        Expr::List(l) => l.elements.iter().for_each(|x| collect_literals(x, out)),
        Expr::Map(m) => {
            for entry in &m.entries {
                if let cel::common::ast::EntryExpr::MapEntry(me) = &entry.expr {
                    collect_literals(&me.key, out);
                    collect_literals(&me.value, out);
                }
            }
        }
        Expr::Struct(_) => {}
        Expr::Comprehension(c) => {
            for x in [&c.iter_range, &c.accu_init, &c.loop_cond, &c.loop_step, &c.result] {
                collect_literals(x, out);
            }
        }
        Expr::Call(c) => {
            if let Some(t) = &c.target {
                collect_literals(t, out);
            }
            c.args.iter().for_each(|x| collect_literals(x, out));
        }
    }
}

/// A comparison of a field with a string literal (`situation == 'marie'`, `'aah' in aides`,
/// `statut in ['a', 'b']`): the checker verifies such values exist among the field's options.
pub fn string_comparisons(e: &IdedExpr, out: &mut Vec<(String, String)>) {
    use cel::common::ast::operators as op;
    if let Expr::Call(c) = &e.expr {
        let ident = |x: &IdedExpr| match &x.expr {
            Expr::Ident(n) => Some(n.clone()),
            _ => None,
        };
        let lit = |x: &IdedExpr| match &x.expr {
            Expr::Literal(LiteralValue::String(s)) => Some(s.inner().to_string()),
            _ => None,
        };
        if let [a, b] = c.args.as_slice() {
            match c.func_name.as_str() {
                op::EQUALS | op::NOT_EQUALS => {
                    if let (Some(f), Some(v)) = (ident(a), lit(b)) {
                        out.push((f, v));
                    }
                    if let (Some(v), Some(f)) = (lit(a), ident(b)) {
                        out.push((f, v));
                    }
                }
                op::IN => {
                    if let (Some(v), Some(f)) = (lit(a), ident(b)) {
                        out.push((f, v));
                    }
                    if let (Some(f), Expr::List(l)) = (ident(a), &b.expr) {
                        for el in &l.elements {
                            if let Some(v) = lit(el) {
                                out.push((f.clone(), v));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(t) = &c.target {
            string_comparisons(t, out);
        }
        for a in &c.args {
            string_comparisons(a, out);
        }
    } else if let Expr::Comprehension(c) = &e.expr {
        for x in [&c.iter_range, &c.loop_step, &c.result] {
            string_comparisons(x, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope_with(fields: &[(&str, Ty)]) -> (HashMap<String, Ty>, BTreeSet<String>) {
        let available: HashMap<String, Ty> = fields.iter().map(|(n, t)| (n.to_string(), t.clone())).collect();
        let mut all: BTreeSet<String> = available.keys().cloned().collect();
        all.insert("plus_tard".into());
        (available, all)
    }

    fn check(src: &str) -> Result<Ty, ExprError> {
        let (available, all_ids) = scope_with(&[
            ("age_n", Ty::Int),
            ("revenus", Ty::Int),
            ("taux", Ty::Double),
            ("situation", Ty::String),
            ("proprietaire", Ty::Bool),
            ("naissance", Ty::Date),
            ("aides", Ty::List(Box::new(Ty::String))),
        ]);
        let env = new_env();
        compile(
            &env,
            src,
            &TypeScope {
                available: &available,
                all_ids: &all_ids,
            },
        )
        .map(|c| c.ty)
    }

    #[test]
    fn a_well_typed_condition_is_boolean() {
        assert_eq!(check("situation == 'marie' && revenus > 100000"), Ok(Ty::Bool));
        assert_eq!(check("'aah' in aides || size(aides) == 0"), Ok(Ty::Bool));
        assert_eq!(check("age(naissance) >= 60"), Ok(Ty::Bool));
        assert_eq!(check("aides.exists(a, a == 'pch')"), Ok(Ty::Bool));
        assert_eq!(check("taux >= 80"), Ok(Ty::Bool));
    }

    #[test]
    fn comparing_a_yes_no_with_a_string_is_a_type_error() {
        assert!(matches!(check("proprietaire == 'oui'"), Err(ExprError::Type(_))));
    }

    #[test]
    fn adding_text_to_a_number_is_a_type_error() {
        assert!(matches!(
            check("revenus + situation > 3"),
            Err(ExprError::Type(_))
        ));
    }

    #[test]
    fn an_unknown_field_is_named() {
        assert_eq!(
            check("inconnu == 1"),
            Err(ExprError::UnknownField("inconnu".into()))
        );
    }

    #[test]
    fn a_later_field_is_refused() {
        assert_eq!(
            check("plus_tard == 1"),
            Err(ExprError::LaterField("plus_tard".into()))
        );
    }

    #[test]
    fn an_unknown_function_is_refused() {
        assert_eq!(
            check("foo(revenus)"),
            Err(ExprError::UnknownFunction("foo".into()))
        );
    }

    #[test]
    fn syntax_errors_are_reported() {
        assert!(matches!(check("revenus >"), Err(ExprError::Syntax(_))));
    }

    #[test]
    fn age_counts_full_years() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(years_between(d("1960-06-15"), d("2020-06-14")), 59);
        assert_eq!(years_between(d("1960-06-15"), d("2020-06-15")), 60);
        assert_eq!(months_between(d("2020-01-31"), d("2020-02-29")), 0);
        assert_eq!(months_between(d("2020-01-15"), d("2021-01-15")), 12);
    }

    #[test]
    fn evaluation_uses_today_for_age_and_treats_errors_as_false() {
        let (available, all_ids) = scope_with(&[("naissance", Ty::Date), ("revenus", Ty::Int)]);
        let env = new_env();
        let scope = TypeScope {
            available: &available,
            all_ids: &all_ids,
        };
        let c = compile(&env, "age(naissance) >= 60", &scope).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert!(c.truthy(&env, today, &|_| Value::String(Arc::new("1960-01-01".into()))));
        assert!(!c.truthy(&env, today, &|_| Value::String(Arc::new("1970-01-01".into()))));
        let r = compile(&env, "revenus > 10", &scope).unwrap();
        assert!(!r.truthy(&env, today, &|_| Value::Null));
    }

    #[test]
    fn a_decimal_compares_with_an_integer_literal_at_run_time() {
        let (available, all_ids) = scope_with(&[("taux", Ty::Double)]);
        let env = new_env();
        let scope = TypeScope {
            available: &available,
            all_ids: &all_ids,
        };
        let c = compile(&env, "taux >= 80", &scope).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert!(c.truthy(&env, today, &|_| Value::Float(80.0)));
        assert!(!c.truthy(&env, today, &|_| Value::Float(79.5)));
        let eq = compile(&env, "taux == 80", &scope).unwrap();
        assert!(eq.truthy(&env, today, &|_| Value::Float(80.0)));
    }
}
