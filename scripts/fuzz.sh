#!/usr/bin/env bash
# Builds every libFuzzer target (clang-14, ASan+UBSan) into build/fuzz and runs each one on a
# copy of its checked-in seed corpus (fuzz/corpus/<target>/) with its dictionary and max_len
# (fuzz/targets.tsv). See docs/fuzzing.md.
#
#   bash scripts/fuzz.sh                  # every target for FUZZ_SECONDS (default 10): CI's short run
#   bash scripts/fuzz.sh --build-only     # only build
#   FUZZ_CAMPAIGN=1 bash scripts/fuzz.sh  # the long campaign: FUZZ_CAMPAIGN_SECONDS per target (default 600,
#                                         # 12 targets = 2 h), new units and findings in FUZZ_CAMPAIGN_DIR
#   FUZZ_TARGETS="stun_message_fuzz record_fuzz" …   # only these targets (either mode)
#
# A crash, leak, timeout (FUZZ_TIMEOUT s for one input, default 25) or out-of-memory fails the short
# run: the script goes on with the other targets, then exits 1 naming each failing input's path.
# Nothing is ever written into fuzz/: the runs work on copies under build/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-10}
per_input_timeout=${FUZZ_TIMEOUT:-25}
rss_mb=${FUZZ_RSS_MB:-2560}

cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWASMRTC_FUZZ=ON -DWASMRTC_TESTS=OFF \
  -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14 >/dev/null
cmake --build build/fuzz -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
[ "${1:-}" = "--build-only" ] && exit 0

targets=()
for f in $(find native -name '*_fuzz.cc' | sort); do targets+=("$(basename "$f" .cc)"); done
if [ -n "${FUZZ_TARGETS:-}" ]; then
  for t in $FUZZ_TARGETS; do
    [ -x "build/fuzz/$t" ] || { echo "fuzz: no target $t (have: ${targets[*]})" >&2; exit 2; }
  done
  read -r -a targets <<<"$FUZZ_TARGETS"
fi

# max_len and -dict= for a target, from fuzz/targets.tsv (4096 and none when it is not listed).
target_flags() {
  local line max=4096 dict=-
  line=$(awk -F'\t' -v t="$1" '$1 == t { print $2 "\t" $3 }' fuzz/targets.tsv)
  if [ -n "$line" ]; then
    max=${line%%$'\t'*}
    dict=${line#*$'\t'}
  fi
  echo "-max_len=$max"
  if [ "$dict" != "-" ]; then echo "-dict=fuzz/dict/$dict"; fi
}

# "execs cov ft" from a libFuzzer log (its last status line and final stats).
log_stats() {
  local execs cov ft
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$1" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$1" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$1" | tail -1 | cut -d' ' -f2)
  if [ -z "$execs" ]; then execs=$(grep -Eo '^#[0-9]+' "$1" | tail -1 | tr -d '#'); fi
  echo "${execs:-?} ${cov:-?} ${ft:-?}"
}

count() { find "$1" -maxdepth 1 -type f | wc -l; }

# Copies the checked-in corpus of $1 into $2 (fresh).
seed_copy() {
  rm -rf "$2"
  mkdir -p "$2"
  if [ -d "fuzz/corpus/$1" ]; then cp -p "fuzz/corpus/$1"/* "$2"/ 2>/dev/null || true; fi
}

if [ "${FUZZ_CAMPAIGN:-0}" = "1" ]; then
  camp_secs=${FUZZ_CAMPAIGN_SECONDS:-600}
  dir=${FUZZ_CAMPAIGN_DIR:-build/fuzz/campaign/$(date -u +%Y%m%dT%H%M%SZ)}
  mkdir -p "$dir"
  echo "fuzz campaign: ${#targets[@]} targets x ${camp_secs}s into $dir"
  summary=()
  for name in "${targets[@]}"; do
    work="$dir/$name"
    mkdir -p "$work/corpus" "$work/findings"
    # The campaign keeps its corpus between runs of the same FUZZ_CAMPAIGN_DIR; a new one starts from the seeds.
    if [ "$(count "$work/corpus")" -eq 0 ] && [ -d "fuzz/corpus/$name" ]; then cp -p "fuzz/corpus/$name"/* "$work/corpus"/ 2>/dev/null || true; fi
    before=$(count "$work/corpus")
    echo "fuzz campaign: $name for ${camp_secs}s (corpus $before)"
    mapfile -t flags < <(target_flags "$name")
    # -fork=1 with ignore_*: a finding is written to findings/ and the campaign goes on.
    "build/fuzz/$name" "${flags[@]}" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
      -max_total_time="$camp_secs" -timeout="$per_input_timeout" -rss_limit_mb="$rss_mb" \
      -artifact_prefix="$work/findings/" -print_final_stats=1 "$work/corpus" >"$work/log.txt" 2>&1 || true
    read -r execs cov ft < <(log_stats "$work/log.txt")
    after=$(count "$work/corpus")
    findings=$(find "$work/findings" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
    summary+=("$(printf '%-26s %12s %7s %8s %7s %9s %9s' "$name" "$execs" "$cov" "$ft" "$before" "$((after - before))" "$findings")")
  done
  echo
  printf '%-26s %12s %7s %8s %7s %9s %9s\n' target executions cov features seeds new_units findings
  printf '%s\n' "${summary[@]}"
  echo
  echo "corpora, logs and findings: $dir/<target>/{corpus,log.txt,findings}"
  find "$dir" -path '*/findings/*' -type f | sed 's/^/finding: /'
  exit 0
fi

failed=()
mkdir -p build/fuzz/logs
for name in "${targets[@]}"; do
  work="build/fuzz/corpus/$name"
  artifacts="build/fuzz/artifacts/$name"
  seed_copy "$name" "$work"
  rm -rf "$artifacts"
  mkdir -p "$artifacts"
  seeds=$(count "$work")
  mapfile -t flags < <(target_flags "$name")
  logf="build/fuzz/logs/$name.log"
  rc=0
  "build/fuzz/$name" "${flags[@]}" -max_total_time="$secs" -timeout="$per_input_timeout" -rss_limit_mb="$rss_mb" \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$work" >"$logf" 2>&1 || rc=$?
  read -r execs cov ft < <(log_stats "$logf")
  echo "fuzz: $name ${secs}s: $execs runs, cov $cov, ft $ft, corpus $seeds -> $(count "$work")"
  if [ "$rc" -ne 0 ]; then
    grep -E '^==[0-9]+==ERROR|^SUMMARY|ERROR: libFuzzer|runtime error' "$logf" | head -5 | sed 's/^/  /'
    input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$logf" | tail -1)
    failed+=("$name: ${input:-no input written} (log $logf)")
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: FAILED" >&2
  printf '  %s\n' "${failed[@]}" >&2
  echo "  reproduce: build/fuzz/<target> <input>; keep the input as a regression test (docs/fuzzing.md)" >&2
  exit 1
fi
