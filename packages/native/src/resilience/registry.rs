//! Process-wide sharing by name: every worker thread that opens a limiter, breaker or concurrency
//! limit under the same name gets the same instance (the addon is loaded once per process). A named
//! instance lives as long as the process. Opening a name again with different options is an error
//! rather than a silent choice between the two.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, OnceLock};

/// Each name's options (to refuse a reopening with others) and its instance.
type Entries<C, T> = HashMap<String, (C, Arc<Mutex<T>>)>;

pub struct Registry<C, T> {
    kind: &'static str,
    map: OnceLock<Mutex<Entries<C, T>>>,
}

impl<C: Clone + Debug + PartialEq, T> Registry<C, T> {
    pub const fn new(kind: &'static str) -> Self {
        Self { kind, map: OnceLock::new() }
    }

    /// The instance called `name` (made with `make(config)` on first use), or a new unshared one.
    pub fn open(
        &self,
        name: Option<&str>,
        config: C,
        make: impl FnOnce(C) -> Result<T, String>,
    ) -> Result<Arc<Mutex<T>>, String> {
        let Some(name) = name else {
            return make(config).map(|t| Arc::new(Mutex::new(t)));
        };
        let mut map = self.map.get_or_init(|| Mutex::new(HashMap::new())).lock().unwrap_or_else(|p| p.into_inner());
        if let Some((existing, shared)) = map.get(name) {
            if *existing != config {
                return Err(format!(
                    "{} {name:?} is already open in this process with other options ({existing:?}); got {config:?}",
                    self.kind
                ));
            }
            return Ok(shared.clone());
        }
        let shared = Arc::new(Mutex::new(make(config.clone())?));
        map.insert(name.to_string(), (config, shared.clone()));
        Ok(shared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static NUMBERS: Registry<u32, Vec<u32>> = Registry::new("list");

    #[test]
    fn same_name_same_instance_other_options_refused() {
        let a = NUMBERS.open(Some("x"), 1, |c| Ok(vec![c])).unwrap();
        let b = NUMBERS.open(Some("x"), 1, |_| Ok(vec![99])).unwrap();
        a.lock().unwrap().push(2);
        assert_eq!(*b.lock().unwrap(), vec![1, 2]);
        let err = NUMBERS.open(Some("x"), 2, |c| Ok(vec![c])).err().unwrap();
        assert!(err.contains("\"x\" is already open"), "{err}");
        let c = NUMBERS.open(None, 1, |c| Ok(vec![c])).unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
        let d = std::thread::spawn(|| NUMBERS.open(Some("x"), 1, |_| Ok(vec![])).unwrap()).join().unwrap();
        assert!(Arc::ptr_eq(&a, &d));
    }
}
