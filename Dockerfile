# One image for web (gunicorn), worker and beat (celery); docker-compose.yml
# picks the command. Build: docker compose build
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# A fixed, unprivileged uid/gid: the code stays owned by root, so a compromised
# process cannot rewrite it.
RUN groupadd --system --gid 10001 haven \
    && useradd --system --uid 10001 --gid haven --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin haven

WORKDIR /app

# Dependencies first, in their own layer, so a code change does not reinstall
# them. pyproject.toml has py-modules = [], so "." brings only its dependencies;
# the constraints pin every indirect one. No dev extras in the image.
# PyICU (Zawgyi-to-Unicode conversion) has no Linux wheels: it is compiled here
# against Debian's ICU, and the compiler and headers are purged in the same
# layer, so the image keeps only the ICU runtime (libicu72, installed by name so
# that the purge leaves it). postgresql-client brings pg_dump and pg_restore
# for backups (Debian's 15, the same major version as the postgres:15 service). The last line fails the build if ICU went missing.
COPY pyproject.toml constraints.txt ./
RUN apt-get update \
    && apt-get install -y --no-install-recommends libicu72 postgresql-client g++ libicu-dev pkg-config \
    && pip install -c constraints.txt . \
    && apt-get purge -y --auto-remove g++ libicu-dev pkg-config \
    && rm -rf /var/lib/apt/lists/* build ./*.egg-info \
    && python -c "import icu; icu.Transliterator.createInstance('Zawgyi-my')"

COPY . .

# Settings refuse to load without these even for collectstatic; the values and
# the keyring are throwaway, exist only for this one command and are not kept
# in the image. DJANGO_DEBUG stays unset so the hashed, compressed (production)
# storage is used.
RUN python -m vault.keyring generate /tmp/build-keyring.json > /dev/null \
    && env -u DJANGO_DEBUG \
        DJANGO_SECRET_KEY=build-only-not-a-secret \
        DJANGO_ALLOWED_HOSTS=build.invalid \
        HAVEN_KEYRING_FILE=/tmp/build-keyring.json \
        python manage.py collectstatic --noinput \
    && rm /tmp/build-keyring.json

# The writable places besides /tmp: the volumes for audit checkpoints, backups and
# beat's schedule (a new named volume takes this directory's owner).
RUN mkdir -p /var/lib/haven /var/lib/haven-backups /var/lib/haven-beat \
    && chown haven:haven /var/lib/haven /var/lib/haven-backups /var/lib/haven-beat \
    && chmod 0700 /var/lib/haven /var/lib/haven-backups /var/lib/haven-beat

USER haven

EXPOSE 8000

# The control socket is for gunicornc on a shared host; a container has no use
# for it and $HOME does not exist. Heartbeat files go to memory (/dev/shm) so a
# slow or read-only disk cannot make workers look dead.
# More workers: GUNICORN_CMD_ARGS="--workers 5" in the environment.
CMD ["gunicorn", "config.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--workers", "3", \
     "--access-logfile", "-", \
     "--worker-tmp-dir", "/dev/shm", \
     "--no-control-socket"]
