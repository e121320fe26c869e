//! The procedures on offer: `forms/*.toml` loaded and checked at start (a broken definition stops the
//! server), each version's text registered in `form_versions`. A dossier filed with an older version is
//! rendered with that version, parsed again from the stored text on first use and cached.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use guichet_db::AnyConnection;
use guichet_dossiers::store;
use guichet_forms::FormDefinition;

use crate::error::CaseError;

/// One procedure as currently offered.
#[derive(Debug, Clone)]
pub struct Procedure {
    pub def: Arc<FormDefinition>,
    /// `form_versions.id` of the current definition.
    pub version_id: String,
    /// The service that instructs it (its code: `apa`, `mdph`…).
    pub service_code: String,
    /// Dossier number prefix: `APA`, `MDPH`…
    pub prefix: String,
}

impl Procedure {
    pub fn id(&self) -> &str {
        self.def.id()
    }
}

#[derive(Debug)]
pub struct Procedures {
    current: BTreeMap<String, Procedure>,
    variants: BTreeMap<String, String>,
    by_version: Mutex<HashMap<String, Arc<FormDefinition>>>,
}

impl Procedures {
    /// Loads and checks every definition, and registers each version (a blocking call: start-up only).
    pub fn load(
        dir: &Path,
        variants: BTreeMap<String, String>,
        conn: &mut AnyConnection,
    ) -> anyhow::Result<Procedures> {
        let defs = guichet_forms::load_dir_with_variants(dir, &variants)
            .map_err(|e| anyhow::anyhow!("procedures in {}: {e}", dir.display()))?;
        let mut current = BTreeMap::new();
        let mut by_version = HashMap::new();
        for def in defs {
            let v = store::register_form_version(conn, def.id(), def.version(), def.hash(), def.text())?;
            by_version.insert(v.id.clone(), def.clone());
            let prefix: String = def
                .id()
                .chars()
                .filter(char::is_ascii_alphabetic)
                .collect::<String>()
                .to_uppercase();
            current.insert(
                def.id().to_owned(),
                Procedure {
                    service_code: def.id().to_owned(),
                    prefix,
                    version_id: v.id,
                    def,
                },
            );
        }
        Ok(Procedures {
            current,
            variants,
            by_version: Mutex::new(by_version),
        })
    }

    pub fn get(&self, id: &str) -> Option<&Procedure> {
        self.current.get(id)
    }

    pub fn all(&self) -> impl Iterator<Item = &Procedure> {
        self.current.values()
    }

    /// The definition a dossier was filed with.
    pub fn definition_of_version(
        &self,
        conn: &mut AnyConnection,
        version_id: &str,
    ) -> Result<Arc<FormDefinition>, CaseError> {
        if let Some(d) = self
            .by_version
            .lock()
            .map_err(|_| CaseError::Internal("poisoned cache".into()))?
            .get(version_id)
        {
            return Ok(d.clone());
        }
        let v = store::find_form_version(conn, version_id)
            .map_err(|e| CaseError::Internal(e.to_string()))?
            .ok_or(CaseError::NotFound)?;
        let def = FormDefinition::from_toml_variant(
            &v.definition,
            &format!("{}.toml", v.form_id),
            self.variants.get(&v.form_id).map(String::as_str),
        )
        .map_err(|e| CaseError::Internal(format!("stored definition {} no longer parses: {e:?}", v.id)))?;
        let def = Arc::new(def);
        self.by_version
            .lock()
            .map_err(|_| CaseError::Internal("poisoned cache".into()))?
            .insert(version_id.to_owned(), def.clone());
        Ok(def)
    }
}
