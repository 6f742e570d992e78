# Shared by the shell-driven tests: `check NAME EXPECTED ACTUAL` prints a TAP-like
# "ok - NAME" or "not ok - NAME: expected ..., got ..." line and counts it.
passed=0
failed=0

check() {
    if [ "$2" = "$3" ]; then
        passed=$((passed + 1)); echo "ok - $1"
    else
        failed=$((failed + 1)); echo "not ok - $1: expected '$2', got '$3'"
    fi
}
