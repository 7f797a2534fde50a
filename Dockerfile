FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# gettext for the catalogues; the steering reports' PDF: WeasyPrint's Pango and fonts, and the
# Chromium kaleido draws the charts with.
RUN apt-get update && apt-get install -y --no-install-recommends \
        gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core chromium \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN python manage.py compilemessages --ignore=.venv -v0 \
    && SECRET_KEY=build-only python manage.py collectstatic --no-input -v0
RUN useradd --create-home cxtracker && mkdir -p /app/var && chown -R cxtracker /app/var
USER cxtracker
EXPOSE 8000
CMD ["gunicorn", "cxtracker.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
