"""Is this Rasa server ready for a turn? Exit 0 if so, else 1 with the reason on stderr.

Rasa 3.6 has no endpoint that checks its tracker store: ``/status`` says only that a model is
loaded, and a server whose PostgreSQL is gone keeps answering it while every message fails.
So this checks both, from inside the container, with the server's own settings:

1. the model is loaded: ``GET /status?token=$CLOSEBOT_RASA_TOKEN`` answers 200
   (``/`` when the HTTP API is off, i.e. no token);
2. the tracker store is usable: Rasa's ``events`` table can be read with the credentials of
   ``endpoints.production.yml`` (``CLOSEBOT_PG_*``, ``CLOSEBOT_TRACKER_DB``). Skipped when
   ``CLOSEBOT_PG_HOST`` is unset (the embedded default keeps trackers in memory).

The Kubernetes readiness probe, the compose healthcheck and the image's HEALTHCHECK run it.
Only the standard library and psycopg2 (already in the image): a probe that runs every few
seconds must start fast and never load Rasa.
"""

import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Mapping, Optional

#: the port rasa-entrypoint.sh starts the server on
RASA_PORT = 5005
TIMEOUT_SECONDS = 3


def model_problem(base_url: str, token: Optional[str]) -> Optional[str]:
    """None when the server answers with a loaded model, else what is wrong."""
    url = f"{base_url}/status?{urllib.parse.urlencode({'token': token})}" if token else f"{base_url}/"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS):
            return None
    except urllib.error.HTTPError as exc:  # 401: wrong token; 409: no model loaded
        return f"Rasa answered {exc.code} on {url.split('?')[0]}"
    except (urllib.error.URLError, OSError) as exc:
        return f"Rasa does not answer on {base_url}: {getattr(exc, 'reason', exc)}"


def tracker_problem(env: Mapping[str, str]) -> Optional[str]:
    """None when Rasa's SQL tracker store can be read, else what is wrong."""
    host = env.get("CLOSEBOT_PG_HOST")
    if not host:
        return None
    import psycopg2  # only here: the embedded profile needs no driver

    database = env.get("CLOSEBOT_TRACKER_DB", "")
    try:
        connection = psycopg2.connect(
            host=host, port=int(env.get("CLOSEBOT_PG_PORT") or 5432), user=env.get("CLOSEBOT_PG_USER"),
            password=env.get("CLOSEBOT_PG_PASSWORD"), dbname=database, connect_timeout=TIMEOUT_SECONDS,
            application_name="closebot-readiness",
        )
    except psycopg2.Error as exc:
        return f"tracker store {host}/{database} unreachable: {str(exc).strip()}"
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {TIMEOUT_SECONDS * 1000}")
            cursor.execute("SELECT 1 FROM events LIMIT 1")  # the table Rasa's SQLTrackerStore writes
    except psycopg2.Error as exc:
        return f"tracker store {host}/{database} not usable: {str(exc).strip()}"
    finally:
        connection.close()
    return None


def main() -> int:
    base_url = f"http://127.0.0.1:{RASA_PORT}"
    problem = model_problem(base_url, os.environ.get("CLOSEBOT_RASA_TOKEN")) or tracker_problem(os.environ)
    if problem:
        print(f"not ready: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
