"""Adapters to the systems a company already runs (status pages, ServiceNow, Jira), over HTTP."""
