"""Guided fixes: one blocker opened up into its records, owners and next steps."""
