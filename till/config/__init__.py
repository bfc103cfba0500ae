"""The configuration: load and check till.toml, one settings class per section."""
