#!/usr/bin/env bash
# One entry point for a fresh machine: installs everything StretchGuard needs, then runs the app or the tests.
#   scripts/dev.sh app     set up, then serve the app on http://127.0.0.1:8501
#   scripts/dev.sh test    set up (incl. Chromium for browser tests), then run ruff and the whole test suite
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv="$root/.venv"
python=${PYTHON:-python3}

setup_python() {
  if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
  fi
  # Re-install only when pyproject.toml changed since the last successful install.
  stamp="$venv/.stretchguard-installed"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet -e ".[dev]"
    touch "$stamp"
  fi
  # The PoseLandmarker bundle: cache → download → offline build from the mediapipe wheel on PyPI.
  "$venv/bin/stretchguard" model --path >/dev/null
}

setup_browser() {
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
}

case "${1:-}" in
  app)
    setup_python
    shift
    exec "$venv/bin/streamlit" run app.py --server.headless=true --browser.gatherUsageStats=false \
      --server.address="${STRETCHGUARD_ADDRESS:-127.0.0.1}" "$@"
    ;;
  test)
    setup_python
    setup_browser
    shift
    "$venv/bin/ruff" check .
    exec "$venv/bin/python" -m pytest "$@"
    ;;
  setup)
    setup_python
    setup_browser
    ;;
  *)
    echo "usage: scripts/dev.sh app|test|setup" >&2
    exit 2
    ;;
esac
