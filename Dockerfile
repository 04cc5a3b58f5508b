# PowerBot's production image (docker-compose.yml runs every service from it).
# Stage 1 installs the pinned requirements into a virtualenv and collects static files;
# stage 2 is a slim runtime with that virtualenv, the code, and a non-root user.

ARG PYTHON_IMAGE=python:3.11-slim-trixie

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install -r /tmp/requirements.txt
WORKDIR /app
COPY . .
# whitenoise serves the static files from the image; the key and database exist only for this step.
RUN SECRET_KEY=collectstatic-only DATABASE_URL=sqlite:////tmp/collectstatic.sqlite3 \
    /opt/venv/bin/python manage.py collectstatic --noinput --verbosity 0

FROM ${PYTHON_IMAGE} AS runtime
# pg_dump and pg_restore for `manage.py backup` / `restore` (trixie's client is 17, as the postgres service).
RUN apt-get update \
    && apt-get install --yes --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 powerbot \
    && useradd --system --uid 10001 --gid powerbot --home-dir /app --shell /usr/sbin/nologin powerbot
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
RUN mkdir -p /app/var/backups && chown -R powerbot:powerbot /app/var
USER powerbot:powerbot
EXPOSE 8000
CMD ["gunicorn", "-c", "powerbot/gunicorn.conf.py"]
