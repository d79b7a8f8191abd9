# rnnviz as a container: docker build -t rnnviz . && docker run --rm -p 8501:8501 rnnviz
# Then open http://localhost:8501. The image needs no network at run time (classroom use).

# Pinned by exact tag: Python 3.11 (Streamlit 1.67 needs >= 3.11) on Debian bookworm, slim variant.
FROM python:3.11.14-slim-bookworm

# Served on 0.0.0.0, a headless Streamlit looks up its external IP over the internet at start unless the
# browser address is named (localhost): no request leaves the container. Users get a short error message,
# never a traceback (that goes to the container log). Streamlit runs each script run in a new thread and
# glibc gives threads their own malloc arenas: with 30 students RSS grew 426 -> 667 MB over 20 minutes;
# two arenas kept it at ~270 MB (docs/load.md).
ENV MALLOC_ARENA_MAX=2 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none \
    STREAMLIT_BROWSER_SERVER_ADDRESS=localhost \
    STREAMLIT_CLIENT_SHOW_ERROR_DETAILS=none \
    HOME=/home/rnnviz

WORKDIR /app

# An unprivileged user with a home directory (Streamlit keeps a small state folder there).
RUN useradd --uid 10001 --user-group --create-home --home-dir /home/rnnviz --shell /usr/sbin/nologin rnnviz

# Runtime dependencies only (pinned in requirements.txt), in their own layer so code edits rebuild fast.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

# Only the app: the NumPy core, the app layer, the pages and the Streamlit config (root-owned, read-only).
COPY app.py ./
COPY rnnviz/ ./rnnviz/
COPY rnnviz_app/ ./rnnviz_app/
COPY pages/ ./pages/
COPY .streamlit/ ./.streamlit/

USER 10001

EXPOSE 8501

# No curl in the image: Python's urllib asks Streamlit's health endpoint, which answers "ok".
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4); sys.exit(0 if r.read().strip() == b'ok' else 1)"]

CMD ["streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
