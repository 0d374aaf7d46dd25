# A small image for the service; data lives in /data (SQLite) unless IJW_DATABASE_URL points
# elsewhere.  The entrypoint migrates first, because the service refuses an un-migrated database.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    IJW_DATABASE_URL=sqlite:////data/ijw.sqlite

WORKDIR /srv/ijw
COPY pyproject.toml README.md LICENSE requirements.lock ./
COPY app ./app
# A plain (non-editable) install pinned by the lock file; schemas and migrations are package data.
RUN pip install --no-cache-dir -r requirements.lock \
    && pip install --no-cache-dir --no-deps . \
    && useradd --system --home /srv/ijw ijw \
    && mkdir -p /data && chown ijw /data

USER ijw
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz')"
WORKDIR /data
CMD ["sh", "-c", "ijw db upgrade && ijw serve --host 0.0.0.0 --port 8000"]
