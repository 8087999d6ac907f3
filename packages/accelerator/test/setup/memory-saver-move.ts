// Patched MemorySavers in the tests move into their Rust stores after two puts (the default is 16), so
// that every test taking a few puts runs both MemorySaver's own methods and the Rust store, and the move.
process.env.FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER ??= "2";
