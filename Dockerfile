# syntax=docker/dockerfile:1
# Hearth's image: `make image` builds it (podman, from a local Debian base), CI builds it with
# Buildx from Debian's published image. Every stage starts from BASE_IMAGE, a Debian bookworm.
ARG BASE_IMAGE=debian:bookworm-slim

# --- front-end libraries, from package-lock.json -----------------------------------------
FROM ${BASE_IMAGE} AS assets
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
# ca_bundle (optional build secret): the builder's CA certificates, for a TLS-inspecting proxy.
RUN --mount=type=secret,id=ca_bundle \
    if [ -s /run/secrets/ca_bundle ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca_bundle; fi \
    && npm ci --ignore-scripts --no-audit --no-fund

# --- the runtime lock, installed by hash into a virtualenv -------------------------------
FROM ${BASE_IMAGE} AS build
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        python3 python3-venv ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.lock /tmp/requirements.lock
RUN --mount=type=secret,id=ca_bundle \
    if [ -s /run/secrets/ca_bundle ]; then export PIP_CERT=/run/secrets/ca_bundle; fi \
    && python3 -m venv /opt/hearth \
    && /opt/hearth/bin/pip install --no-cache-dir --disable-pip-version-check -q \
        --require-hashes -r /tmp/requirements.lock

# --- the final image: Python, the venv, the code and its collected static files ----------
FROM ${BASE_IMAGE}
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        python3 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 hearth \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin hearth
ENV PATH=/opt/hearth/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
COPY --from=build /opt/hearth /opt/hearth
COPY . .
COPY --from=assets /src/node_modules/htmx.org/dist/htmx.min.js static/vendor/
COPY --from=assets /src/node_modules/chart.js/dist/chart.umd.js \
    /src/node_modules/chart.js/dist/chart.umd.js.map static/vendor/
# Settings need these to load; nothing here connects anywhere or is kept in the image.
RUN HEARTH_DEV=0 SECRET_KEY=collectstatic-only DATABASE_URL=postgres://build/build \
        FIELD_ENCRYPTION_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
        API_TOKEN_PEPPER=collectstatic-only \
        python manage.py collectstatic --noinput -v 0 \
    && chmod 0755 deploy/entrypoint.sh
ARG HEARTH_REVISION=unknown
ENV HEARTH_REVISION=${HEARTH_REVISION}
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "deploy/healthcheck.py"]
ENTRYPOINT ["deploy/entrypoint.sh"]
CMD ["web"]
