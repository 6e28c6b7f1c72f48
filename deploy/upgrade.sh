#!/bin/sh
# On a compose host: run HEARTH_IMAGE from now on (docs/deploy.md, "Upgrades").
# Pulls it, records it in .env, migrates with the new code before it serves, then restarts.
set -eu
: "${HEARTH_IMAGE:?set HEARTH_IMAGE to the image to run, e.g. ghcr.io/OWNER/hearth:1.2.3}"
test -f .env || { echo "no .env here: run make env first" >&2; exit 1; }
if grep -q '^HEARTH_IMAGE=' .env; then
    sed -i "s|^HEARTH_IMAGE=.*|HEARTH_IMAGE=${HEARTH_IMAGE}|" .env
else
    printf 'HEARTH_IMAGE=%s\n' "$HEARTH_IMAGE" >> .env
fi
docker compose pull web worker beat
docker compose run --rm --no-deps web setup
# The panel's image is the one pulled; compose's PowerDNS and mail images (deploy/pdns/,
# deploy/mail/) are built from this checkout if they are not there yet (a first upgrade to
# a release with mail in compose), never pulled.
docker compose up --detach --wait
