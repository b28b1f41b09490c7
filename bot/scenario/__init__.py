"""The scenario (ERP snapshot) file: parse and check it, and load it into the store."""
