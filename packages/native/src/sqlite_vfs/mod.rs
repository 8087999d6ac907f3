//! What our bundled SQLite's unix VFS does differently from the stock one: its locks (see [`ofd_locks`]).

pub mod ofd_locks;
#[cfg(test)]
mod tests;
