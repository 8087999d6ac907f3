//! Schema-qualified table names, quoted once.

#[derive(Clone, Debug)]
pub struct Tables {
    pub schema: String,
    pub migrations: String,
    pub checkpoints: String,
    pub blobs: String,
    pub writes: String,
    pub flg_migrations: String,
    pub flg_checkpoints: String,
    pub flg_blobs: String,
    pub flg_writes: String,
}

impl Tables {
    pub fn new(schema: &str) -> Result<Self, String> {
        if schema.is_empty() || schema.contains('"') || schema.contains('\0') {
            return Err(format!("schema name {schema:?} is not usable (empty, or contains a quote or NUL)"));
        }
        let q = |table: &str| format!("\"{schema}\".{table}");
        Ok(Self {
            schema: schema.to_string(),
            migrations: q("checkpoint_migrations"),
            checkpoints: q("checkpoints"),
            blobs: q("checkpoint_blobs"),
            writes: q("checkpoint_writes"),
            flg_migrations: q("flg_schema_migrations"),
            flg_checkpoints: q("flg_checkpoints"),
            flg_blobs: q("flg_blobs"),
            flg_writes: q("flg_writes"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_and_qualified() {
        let t = Tables::new("My Schema").unwrap();
        assert_eq!(t.checkpoints, "\"My Schema\".checkpoints");
        assert_eq!(t.flg_blobs, "\"My Schema\".flg_blobs");
    }

    #[test]
    fn a_schema_that_could_break_out_of_its_quotes_is_refused() {
        for bad in ["", "a\"b", "a\0b"] {
            assert!(Tables::new(bad).unwrap_err().contains("is not usable"), "{bad:?}");
        }
    }
}
