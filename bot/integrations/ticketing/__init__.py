"""Remote ticket systems (ServiceNow, Jira) behind one small interface, ``TicketBackend``."""
