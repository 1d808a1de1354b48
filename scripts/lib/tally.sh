# The pass/fail tally of the check scripts (deb-test.sh, emu-test.sh), sourced:
#   tally_name=deb-test; . scripts/lib/tally.sh
# ok/bad count and print one line per check, check runs a command as one,
# die stops the script, tally_end prints "NAME: N passed, M failed" and
# fails when any check failed.

passed=0
failed=0
ok() {
    passed=$((passed + 1))
    echo "ok: $*"
}
bad() {
    failed=$((failed + 1))
    echo "FAILED: $*" >&2
}
check() { # check DESCRIPTION COMMAND...
    local what="$1"
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}
die() {
    echo "$tally_name: error: $*" >&2
    exit 1
}
tally_end() {
    echo "$tally_name: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
