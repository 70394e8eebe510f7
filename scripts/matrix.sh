#!/usr/bin/env bash
# Run the test suite against the botocore versions the project supports (docs/ecosystem.md).
#
#   scripts/matrix.sh                 # every entry
#   scripts/matrix.sh oldest newest   # some entries
#
# Each entry gets its own virtual environment under .matrix/ (kept between runs; delete the folder
# to start afresh). Entries:
#   newest      newest botocore/boto3 + moto, on $PYTHON (default python3)
#   oldest      botocore/boto3 1.40.0 (the oldest supported), on $PYTHON_OLDEST (default python3.10)
#   aioboto3    newest aioboto3 (it pins aiobotocore, which pins an older botocore)
#   aiobotocore newest aiobotocore without aioboto3 (a newer botocore than aioboto3 allows)
# Extra arguments for pytest: PYTEST_ARGS="-x -k wire" scripts/matrix.sh newest
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
PYTHON_OLDEST=${PYTHON_OLDEST:-python3.10}
if ! "$PYTHON_OLDEST" -c pass >/dev/null 2>&1; then
    if command -v pyenv >/dev/null 2>&1 && pyenv prefix 3.10 >/dev/null 2>&1; then
        PYTHON_OLDEST="$(pyenv prefix 3.10)/bin/python3.10"
    else
        echo "matrix: $PYTHON_OLDEST not found, the oldest entry uses $PYTHON" >&2
        PYTHON_OLDEST=$PYTHON
    fi
fi

entries=("$@")
[ ${#entries[@]} -eq 0 ] && entries=(newest oldest aioboto3 aiobotocore)

declare -A results
for entry in "${entries[@]}"; do
    case "$entry" in
        newest)      python=$PYTHON;        install=(-e '.[test,moto]') ;;
        oldest)      python=$PYTHON_OLDEST; install=(-e '.[test]' 'botocore==1.40.0' 'boto3==1.40.0') ;;
        aioboto3)    python=$PYTHON;        install=(-e '.[test,async]') ;;
        aiobotocore) python=$PYTHON;        install=(-e '.[test]' 'aiobotocore') ;;
        *) echo "matrix: unknown entry $entry" >&2; exit 2 ;;
    esac
    venv=.matrix/$entry
    echo "=== $entry ($venv)"
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip >/dev/null
    "$venv/bin/python" -m pip install -q "${install[@]}"
    "$venv/bin/python" -c "import sys, botocore, boto3; print('python', sys.version.split()[0], \
'botocore', botocore.__version__, 'boto3', boto3.__version__)"
    "$venv/bin/python" -c "import aiobotocore; print('aiobotocore', aiobotocore.__version__)" \
        2>/dev/null || true
    # shellcheck disable=SC2086
    if "$venv/bin/python" -m pytest -q -p no:cacheprovider ${PYTEST_ARGS:-}; then
        results[$entry]=passed
    else
        results[$entry]=FAILED
    fi
done

echo "=== matrix"
status=0
for entry in "${entries[@]}"; do
    echo "$entry: ${results[$entry]}"
    [ "${results[$entry]}" = passed ] || status=1
done
exit $status
