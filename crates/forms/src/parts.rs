//! Shared definition parts (`forms/parts/*.toml`): steps several procedures place in their journey with
//! `[[steps]] part = "…"` rather than copying them, and the parties those steps answer.
//!
//! A part is written out into the procedure's text before anything else reads it: the result is one
//! self-contained definition, hashed and stored with the dossiers filed with it, so a later change to a
//! part makes a new version of every procedure using it and never changes what an old dossier shows.

use toml::{Table, Value};

/// The parts the engine knows, by id: the platform's library (a new part is a file here and a line below).
const PARTS: &[(&str, &str)] = &[("pour_qui", include_str!("../../../forms/parts/pour_qui.toml"))];

/// The ids of the shared parts, for messages and the schema's documentation.
pub fn part_ids() -> impl Iterator<Item = &'static str> {
    PARTS.iter().map(|(id, _)| *id)
}

/// Keys a `[[steps]]` entry naming a part may have.
const PLACEMENT_KEYS: [&str; 3] = ["part", "section", "omit_options"];

/// The definition text with every part written out in place, or `None` when it uses none (the text is
/// then taken as it is, comments included). Errors are in French, for the checker's list.
pub(crate) fn expand(text: &str) -> Result<Option<String>, String> {
    let Ok(mut doc) = toml::from_str::<Table>(text) else {
        // The checker reports the syntax error with its position.
        return Ok(None);
    };
    let Some(Value::Array(steps)) = doc.get("steps") else {
        return Ok(None);
    };
    if !steps.iter().any(|s| s.get("part").is_some()) {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(steps.len());
    let mut filers = Vec::new();
    for entry in steps {
        let Some(name) = entry.get("part") else {
            out.push(entry.clone());
            continue;
        };
        let placed = Placement::read(entry, name)?;
        let part = load(placed.part)?;
        out.extend(placed.apply(&part)?);
        if let Some(f) = part.get("filer") {
            filers.push(f.clone());
        }
    }
    doc.insert("steps".into(), Value::Array(out));
    // The part's `[filer]` becomes the procedure's `[parties.filer]`, unless the procedure says otherwise.
    if let (Some(filer), Some(Value::Table(parties))) = (filers.into_iter().next(), doc.get_mut("parties"))
        && !parties.contains_key("filer")
    {
        parties.insert("filer".into(), filer);
    }
    toml::to_string(&doc)
        .map(Some)
        .map_err(|e| format!("partie partagée : écriture impossible ({e})"))
}

/// Where and how a part is placed: `[[steps]] part = "pour_qui"` with its options.
struct Placement<'a> {
    part: &'a str,
    section: Option<&'a Value>,
    omit: Vec<&'a str>,
}

impl<'a> Placement<'a> {
    fn read(entry: &'a Value, name: &'a Value) -> Result<Placement<'a>, String> {
        let part = name
            .as_str()
            .ok_or("étape : « part » doit être le nom d’une partie partagée, entre guillemets")?;
        if let Some(t) = entry.as_table()
            && let Some(k) = t.keys().find(|k| !PLACEMENT_KEYS.contains(&k.as_str()))
        {
            return Err(format!(
                "étape part = \"{part}\" : « {k} » n’est pas permis ici (seulement section et omit_options ; les étapes de la partie se changent dans forms/parts/{part}.toml)"
            ));
        }
        let omit = match entry.get("omit_options") {
            None => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .ok_or("omit_options : une liste de valeurs entre guillemets")
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("omit_options : une liste de valeurs entre guillemets".into()),
        };
        Ok(Placement {
            part,
            section: entry.get("section"),
            omit,
        })
    }

    /// The part's steps as placed here: in the section given, without the options left out.
    fn apply(&self, part: &Table) -> Result<Vec<Value>, String> {
        let Some(Value::Array(steps)) = part.get("steps") else {
            return Err(format!("la partie partagée « {} » n’a pas d’étapes", self.part));
        };
        let mut omitted = Vec::new();
        let mut out = Vec::with_capacity(steps.len());
        for step in steps {
            let mut step = step.clone();
            let Some(t) = step.as_table_mut() else { continue };
            if let Some(s) = self.section {
                t.insert("section".into(), s.clone());
            }
            if let Some(Value::Array(fields)) = t.get_mut("fields") {
                for f in fields.iter_mut() {
                    if let Some(Value::Array(options)) = f.get_mut("options") {
                        options.retain(|o| {
                            let value = o.get("value").and_then(Value::as_str).unwrap_or_default();
                            let keep = !self.omit.contains(&value);
                            if !keep {
                                omitted.push(value.to_owned());
                            }
                            keep
                        });
                    }
                }
            }
            out.push(step);
        }
        if let Some(missing) = self.omit.iter().find(|o| !omitted.iter().any(|x| x == *o)) {
            return Err(format!(
                "étape part = \"{}\" : omit_options nomme « {missing} », qui n’est une réponse d’aucune question de cette partie",
                self.part
            ));
        }
        Ok(out)
    }
}

fn load(id: &str) -> Result<Table, String> {
    let (_, text) = PARTS.iter().find(|(p, _)| *p == id).ok_or_else(|| {
        format!(
            "partie partagée « {id} » inconnue (parties connues : {})",
            part_ids().collect::<Vec<_>>().join(", ")
        )
    })?;
    toml::from_str(text)
        .map_err(|e| format!("forms/parts/{id}.toml : TOML invalide : {}", e.to_string().trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str =
        "id = \"x\"\nversion = \"1\"\ntitle = \"X\"\n[parties.beneficiary]\nlast_name = \"nom\"\n";

    #[test]
    fn a_definition_without_parts_is_left_as_written() {
        let text = format!("{HEAD}[[steps]]\nid = \"a\"\ntitle = \"A\"\n");
        assert_eq!(expand(&text), Ok(None));
    }

    #[test]
    fn a_part_is_written_out_in_place_with_its_section_and_options() {
        let text = format!(
            "{HEAD}[[steps]]\nid = \"avant\"\ntitle = \"Avant\"\n\n[[steps]]\npart = \"pour_qui\"\nsection = \"a\"\nomit_options = [\"enfant\"]\n\n[[steps]]\nid = \"apres\"\ntitle = \"Après\"\n"
        );
        let out: Table = toml::from_str(&expand(&text).unwrap().unwrap()).unwrap();
        let steps = out["steps"].as_array().unwrap();
        let ids: Vec<&str> = steps.iter().map(|s| s["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["avant", "pour_qui", "personne_qui_remplit", "apres"]);
        assert_eq!(steps[1]["section"].as_str(), Some("a"));
        assert!(
            steps[0].get("section").is_none(),
            "only the part's steps are placed in the section"
        );
        let values: Vec<&str> = steps[1]["fields"][0]["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["value"].as_str().unwrap())
            .collect();
        assert_eq!(values, ["moi", "proche", "professionnel"]);
        assert_eq!(
            out["parties"]["filer"]["beneficiary_if"].as_str(),
            Some("demande_pour == 'moi'"),
            "the part's filer becomes the procedure's"
        );
    }

    #[test]
    fn placement_mistakes_are_named() {
        let with = |extra: &str| format!("{HEAD}[[steps]]\npart = \"pour_qui\"\n{extra}");
        assert!(expand(&with("")).is_ok());
        let unknown = expand(&format!("{HEAD}[[steps]]\npart = \"pour_quoi\"\n")).unwrap_err();
        assert!(
            unknown.contains("« pour_quoi » inconnue") && unknown.contains("pour_qui"),
            "{unknown}"
        );
        let extra = expand(&with("title = \"Autre\"\n")).unwrap_err();
        assert!(extra.contains("« title » n’est pas permis"), "{extra}");
        let omit = expand(&with("omit_options = [\"voisin\"]\n")).unwrap_err();
        assert!(omit.contains("« voisin »"), "{omit}");
    }

    #[test]
    fn every_part_reads() {
        for id in part_ids() {
            let part = load(id).unwrap();
            assert!(part["steps"].as_array().is_some_and(|s| !s.is_empty()), "{id}");
        }
    }
}
