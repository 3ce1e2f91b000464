# syntax=docker/dockerfile:1
# Hearth: the Discord bot in a small, non-root image. The token is never baked in: pass it at
# run time (compose's env_file, `docker run --env-file`). See docs/deploy.md.
#
# pyproject.toml says requires-python = ">=3.11"; tests/test_deploy.py checks the tags against it.

# --- builder: install Hearth and its dependencies into a self-contained venv -----------------
FROM python:3.12-slim-bookworm AS builder

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
RUN python -m venv /opt/venv

# Only what the package build reads (pyproject's readme is README.md); .dockerignore keeps the
# rest of the work tree (venvs, databases, .env, bench data) out of the context.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
RUN /opt/venv/bin/pip install --no-cache-dir . \
    && /opt/venv/bin/python -I -c "import bot.app.runner, cogs" \
    && /opt/venv/bin/hearth --help > /dev/null

# --- runtime: the venv, a fixed non-root user and the database on a volume -------------------
FROM python:3.12-slim-bookworm AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    HEARTH_DB=/data/hearth.db

# A fixed uid/gid, so a bind-mounted /data can be chowned to 10001 on the host.
RUN groupadd --system --gid 10001 hearth \
    && useradd --system --uid 10001 --gid hearth --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin hearth \
    && mkdir /data \
    && chown hearth:hearth /data \
    && chmod 0700 /data

COPY --from=builder /opt/venv /opt/venv

# The database, its <db>.lock and its -wal/-shm files: the whole directory must be writable.
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001

# The bot flushes pending writes on SIGTERM (give it time: compose's stop_grace_period).
STOPSIGNAL SIGTERM

# `hearth health`: 0 when a bot process holds the database lock and reported a live gateway
# connection in the last 2 minutes. The start period covers login and the first connection.
HEALTHCHECK --interval=30s --timeout=10s --start-period=90s --retries=3 CMD ["hearth", "health"]

ENTRYPOINT ["hearth"]
CMD ["run"]
