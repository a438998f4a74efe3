# Sourced by scripts/run and scripts/test: make .venv with Python 3.11+ and install the project.
# Usage: install_project "" | install_project "[dev]"
set -euo pipefail

find_python() {
  for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11 python; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return
    fi
  done
  echo "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)." >&2
  exit 1
}

install_project() {
  local extras="$1"
  if [ ! -x .venv/bin/python ]; then
    "$(find_python)" -m venv .venv
  fi
  # Reinstall only when the dependencies changed, so the second run starts at once.
  local stamp=".venv/.installed-$(cksum pyproject.toml | cut -d' ' -f1)${extras//[^a-z]/}"
  if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}"
    touch "$stamp"
  fi
}
