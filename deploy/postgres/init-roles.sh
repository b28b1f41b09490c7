#!/bin/bash
# Least-privilege roles and databases for Closebot, run once by the postgres image on an empty
# data directory (/docker-entrypoint-initdb.d). Passwords come from the environment
# (deploy/production.env) and reach SQL as psql variables, quoted by psql, never pasted in.
#
#   closebot_migrator  owns the database closebot: `closebot db upgrade` creates and alters tables
#   closebot_app       the action server and the Rasa server: reads and writes rows, no DDL
#   closebot_tracker   owns closebot_tracker, where Rasa's SQL tracker store creates its table
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v migrator_pw="$CLOSEBOT_MIGRATOR_PASSWORD" \
  -v app_pw="$CLOSEBOT_APP_PASSWORD" \
  -v tracker_pw="$CLOSEBOT_PG_PASSWORD" <<'SQL'
CREATE ROLE closebot_migrator LOGIN PASSWORD :'migrator_pw';
CREATE ROLE closebot_app LOGIN PASSWORD :'app_pw';
CREATE ROLE closebot_tracker LOGIN PASSWORD :'tracker_pw';

CREATE DATABASE closebot OWNER closebot_migrator;
CREATE DATABASE closebot_tracker OWNER closebot_tracker;
REVOKE ALL ON DATABASE closebot, closebot_tracker FROM PUBLIC;
GRANT CONNECT ON DATABASE closebot TO closebot_app;

\connect closebot
-- Tables the migrator creates are readable and writable by the app, nothing more.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO closebot_app;
ALTER DEFAULT PRIVILEGES FOR ROLE closebot_migrator IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO closebot_app;
ALTER DEFAULT PRIVILEGES FOR ROLE closebot_migrator IN SCHEMA public
  GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO closebot_app;
SQL
