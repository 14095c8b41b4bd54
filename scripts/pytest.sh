#!/usr/bin/env bash
# The Python package's tests: a fresh virtual environment, `pip install` of
# crates/pasa-sinkhorn-py with its test extras (POT, SciPy, pytest, safetensors) and the
# dask extra (so the distributed tests run rather than skip), then
# pytest on its tests/ (doctests included). Exits non-zero when the build or any test
# fails, and when pytest collects no test (its exit code 5).
#
# The wheel is built by maturin with the workspace's dev profile into the workspace's
# target/, so after `cargo test --workspace` only the binding crate and pyo3 compile.
#
# Usage: scripts/pytest.sh [pytest arguments]
# Environment: PYTHON (default python3), PASA_PYTEST_VENV (default target/pytest-venv).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
crate="$root/crates/pasa-sinkhorn-py"
venv="${PASA_PYTEST_VENV:-$root/target/pytest-venv}"
python="${PYTHON:-python3}"

rm -rf "$venv"
"$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
start=$SECONDS
"${pip[@]}" install --quiet "$crate[test,dask]"
echo "pytest.sh: pip install of the package and test dependencies took $((SECONDS - start)) s"

cd "$crate"
status=0
"$venv/bin/python" -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "pytest.sh: pytest collected no tests; that is a failure" >&2
    exit 1
fi
exit "$status"
