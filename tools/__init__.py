"""Build and test machinery of the site (not shown to readers)."""
