# The action server (and the `closebot` CLI, which runs the migrations: `closebot db upgrade`).
# Build from the repository root:  docker build -f deploy/docker/actions.Dockerfile -t closebot-actions:0.1.0 .
#
# No spaCy pipeline and no model here: only the Rasa server runs NLU. The packages are the same
# pinned set as the Rasa image (one tested environment; the layer is shared in the build cache).

FROM python:3.10.18-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RASA_TELEMETRY_ENABLED=false \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

WORKDIR /app

# An unprivileged user with a numeric id (Kubernetes' runAsNonRoot can check a number only). It
# owns nothing in /app: the code is read-only to the server. USER comes last, after the
# build steps that need root.
RUN useradd --system --uid 10001 --create-home closebot

# Exactly as scripts/setup.sh installs them, and the same lines as rasa.Dockerfile.
COPY requirements.txt requirements-nodeps.txt constraints.txt ./
RUN python -m pip install -q --upgrade "pip==24.0" \
 && python -m pip install -q -r requirements.txt -c constraints.txt \
 && python -m pip install -q --no-deps -r requirements-nodeps.txt

COPY . .
RUN python -m pip install -q --no-deps -e .

USER 10001

# SANIC_HOST: the action server binds 0.0.0.0 inside the container. rasa_sdk_plugins refuses to
# start on a non-loopback address unless CLOSEBOT_ACTION_TOKEN is set, so an image started
# without the token fails loudly instead of serving every action to anyone.
ENV SANIC_HOST=0.0.0.0 \
    ACTION_SERVER_SANIC_WORKERS=1
EXPOSE 5055

# /health is the one path the token door leaves open (rasa_sdk_plugins.OPEN_PATHS).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5055/health', timeout=4)"]

CMD ["rasa", "run", "actions", "--port", "5055"]
