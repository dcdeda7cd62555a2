#!/usr/bin/env bash
# Shared by the script tests (tests/chart, tests/e2e): "ok"/"FAIL" lines and the closing
# "N passed, M failed".
# Sourced, never run.
failures=0
passed=0
check() { # check NAME STATUS DETAIL
  if [[ $2 == 0 ]]; then
    echo "ok   $1"
    passed=$((passed + 1))
  else
    echo "FAIL $1: $3"
    failures=$((failures + 1))
  fi
}
summary() { # prints the totals; returns non-zero if anything failed
  echo "$passed passed, $failures failed"
  [[ $failures == 0 ]]
}
