"""Use cases: load, apply the domain rules, write, commit once."""
