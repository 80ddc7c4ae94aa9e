"""Report templates (TOML) and the report's stylesheet, shipped with casebook."""
