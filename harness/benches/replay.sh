#!/usr/bin/env bash
# Replay benchmark: `conform run` against `conform serve` on 127.0.0.1, compared with the raw
# loopback rate of the same requests at the same concurrency (wrk).
#
#   harness/benches/replay.sh [--cases N] [--jobs J] [--scale] [--no-readback] [--raw-seconds S]
#                             [--runs R] [--keep] [--conform PATH]
#
# Generates N PATCH cases (default 10,000), each on its own hostSecurityProfile with
# `Prefer: return=representation`, from the seed case, plus one documented GET so that every
# PATCH is read back as a default `conform run` does (two requests per case; --no-readback: one).
# Serves them with `conform serve`, drives the mock with wrk for S seconds (default 10) with the
# same requests at --jobs connections (default 8), then times `conform run --jobs J` against it
# with /usr/bin/time; R times (default 3), each wrk measurement right before its conform run, so
# that each ratio compares two rates taken under the same load on the machine. Prints the
# medians of cases/s, requests/s, the ratio to wrk's requests/s (over the whole process, and
# over the run alone from the report's duration), CPU time per case (conform's and the mock's),
# the highest peak RSS, and each run's ratio. --scale does it for 1k, 10k and 100k
# cases and tabulates how time per case and peak RSS grow. --keep keeps the temporary folder.
# --conform runs that binary (say, an older build) instead of building this checkout's release one.
# Speed is never checked by tests: machines are shared and noisy, so compare runs made together.
#
# wrk (Debian) rather than oha: a run must interleave each PATCH with the GET that reads it back
# and cycle over N distinct paths, which wrk's Lua hooks do and oha's fixed request cannot.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
seed="$repo/cases/003_e135c242e05b0c0b.update_hostsecurityprofile.json"
schemas="$repo/schemas"
cases=10000
jobs=8
scale=0
readback=1
keep=0
conform=""
raw_seconds=10
runs=3

usage() { sed -n 2,21p "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) cases=${2:?--cases needs a number}; shift 2 ;;
    --jobs) jobs=${2:?--jobs needs a number}; shift 2 ;;
    --scale) scale=1; shift ;;
    --no-readback) readback=0; shift ;;
    --keep) keep=1; shift ;;
    --conform) conform=${2:?--conform needs a path}; shift 2 ;;
    --raw-seconds) raw_seconds=${2:?--raw-seconds needs a number}; shift 2 ;;
    --runs) runs=${2:?--runs needs a number}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "replay.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done
for n in "$cases" "$jobs" "$raw_seconds" "$runs"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "replay.sh: not a positive whole number: $n" >&2; exit 2; }
done

need_apt() { # command package
  command -v "$1" > /dev/null && return 0
  echo "installing $2 (apt-get)..." >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq "$2" > /dev/null; else sudo apt-get install -y -qq "$2" > /dev/null; fi
}
need_apt wrk wrk
need_apt jq jq
need_apt curl curl
[ -x /usr/bin/time ] || need_apt /usr/bin/time time

if [ -z "$conform" ]; then
  target_dir=${CARGO_TARGET_DIR:-$repo/target}
  (cd "$repo" && cargo build --release --quiet -p conform --bin conform)
  conform="$target_dir/release/conform"
fi
[ -x "$conform" ] || { echo "replay.sh: not an executable: $conform" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/conform-bench.XXXXXX")
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2> /dev/null || true
    wait "$server_pid" 2> /dev/null || true
    server_pid=""
  fi
}
cleanup() {
  stop_server
  if [ "$keep" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Seconds of CPU (user+sys) a process has used so far, from /proc.
cpu_of() {
  local ticks
  ticks=$(awk '{print $14 + $15}' "/proc/$1/stat")
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz }'
}

# Writes N cases into DIR and their parameters into DIR.toml: case i PATCHes
# /Security/hostSecurityProfiles/{hostSecurityProfileId} with the id bench-i, and its documented
# answer (the seed's) carries that id, so the mock seeds one entity per case. The path is the
# documented template, as extracted cases have it, so the documented GET covers every PATCH's
# read-back. The seed's placeholders ("String" for an enumeration) are mended here, so conform
# sends the body wrk sends.
generate() {
  local n=$1 dir=$2
  mkdir -p "$dir"
  jq -c --argjson n "$n" --argjson readback "$readback" '
    def entity($i): "bench-" + ($i | tostring | ("000000" + .)[-7:]);
    def mend: .logonUsers[].accountType = "unknown" | .logonUsers[].logonTypes = ["unknown"];
    (.request.body.json |= mend | .response.body.json |= mend
     | .request.params = ["hostSecurityProfileId"]
     | .request.path = "/Security/hostSecurityProfiles/{hostSecurityProfileId}"
     | .response.headers = [{name: "Content-Type", value: "application/json"}]) as $seed
    | (range(0; $n) as $i
       | $seed
       | .id = "bench_patch_\(entity($i))"
       | .name = "bench_patch"
       | .source = {file: "bench.md", line: 1}
       | .request.headers = [{name: "Content-Type", value: "application/json"},
                             {name: "Prefer", value: "return=representation"}]
       | .response.body.json.id = entity($i)),
      (select($readback == 1)
       | $seed
       | .id = "bench_read"
       | .name = "bench_read"
       | .source = {file: "bench.md", line: 2}
       | .request = {method: "GET", path: .request.path, params: .request.params, headers: [], line: 2}
       | .response.body.json.id = entity(0))
  ' "$seed" | awk -v dir="$dir" '{ f = sprintf("%s/%07d.json", dir, NR); print > f; close(f) }'
  jq -r --argjson n "$n" '
    def entity($i): "bench-" + ($i | tostring | ("000000" + .)[-7:]);
    (range(0; $n) | "[cases.\"bench_patch_\(entity(.))\"]\nhostSecurityProfileId = \"\(entity(.))\"\n"),
    "[cases.\"bench_read\"]\nhostSecurityProfileId = \"\(entity(0))\""
  ' -n > "$dir.toml"
}

# The wrk script: each thread cycles over every T-th entity, sending its PATCH (and, with
# read-back, the GET that reads it back), so wrk sends the requests conform sends, in the same
# proportions. wrk runs for a duration, not a count (its main thread sleeps the whole -d), so the
# raw figure is a rate over --raw-seconds. Answers other than 200 are counted and printed.
write_lua() {
  local n=$1 threads=$2 file=$3 body # $4: the cases' folder
  body=$(jq -c '.request.body.json' "$4/0000001.json")
  cat > "$file" << EOF
local n, threads, readback = $n, $threads, $readback
local body = [==[$body]==]
local counter = 0
local all = {}
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(all, thread)
end
function init(args)
  step, bad = 0, 0
  mine = math.max(1, math.ceil((n - id) / threads))
  patch_headers = { ["Content-Type"] = "application/json", ["Prefer"] = "return=representation",
                    ["client-request-id"] = "bench" }
  get_headers = { ["Accept"] = "application/json", ["client-request-id"] = "bench" }
end
function request()
  local per = readback == 1 and 2 or 1
  local entity = id + threads * (math.floor(step / per) % mine)
  local path = string.format("/beta/Security/hostSecurityProfiles/bench-%07d", entity)
  step = step + 1
  if (step - 1) % per == 1 then return wrk.format("GET", path, get_headers) end
  return wrk.format("PATCH", path, patch_headers, body)
end
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(all) do total = total + thread:get("bad") end
  io.write(string.format("non-200 answers: %d\\n", total))
end
EOF
}

# Runs one measurement; prints its block and appends a row to the summary table.
rows=()
measure() {
  local n=$1 j=$2 dir="$work/cases-$1" out="$work/run-$1-$2"
  [ -d "$dir" ] || generate "$n" "$dir"
  mkdir -p "$out"
  "$conform" serve --port 0 --cases "$dir" --schemas "$schemas" > "$out/serve.log" 2>&1 &
  server_pid=$!
  # The mock reads and seeds every case before it listens: allow a second per 1,000 cases.
  local url="" i wait_s=$((60 + n / 1000))
  for i in $(seq 1 $((wait_s * 10))); do
    url=$(awk '/^conform mock listening on / { print $NF }' "$out/serve.log")
    [ -n "$url" ] && curl -fsS -o /dev/null "$url/beta/Security/hostSecurityProfiles/bench-0000000" && break
    kill -0 "$server_pid" 2> /dev/null || { cat "$out/serve.log" >&2; echo "conform serve exited" >&2; exit 1; }
    url=""
    sleep 0.1
  done
  [ -n "$url" ] || { echo "conform serve did not answer within $wait_s s" >&2; exit 1; }

  local threads=$((j < $(nproc) ? j : $(nproc)))
  write_lua "$n" "$threads" "$out/load.lua" "$dir"
  local flags=(--cases "$dir" --params "$dir.toml" --schemas "$schemas" --target "$url/beta" --jobs "$j" --quiet
               --report json --report-dir "$out/report")
  [ "$readback" = 1 ] || flags+=(--no-readback)
  # One line per run: wall user sys rss run_ms requests raw_rate raw_reqs mock_cpu_raw mock_cpu_run
  : > "$out/runs.txt"
  local r cpu0 cpu1 cpu2 raw_reqs raw_rate raw_errors="" total=0 reads=0
  for r in $(seq 1 "$runs"); do
    cpu0=$(cpu_of "$server_pid")
    wrk -t"$threads" -c"$j" -d"${raw_seconds}s" -s "$out/load.lua" "$url" > "$out/wrk-$r.txt" 2>&1
    cpu1=$(cpu_of "$server_pid")
    raw_reqs=$(awk '/ requests in / { print $1 }' "$out/wrk-$r.txt")
    raw_rate=$(awk '/^Requests\/sec:/ { print $2 }' "$out/wrk-$r.txt")
    raw_errors+=$(awk '/Non-2xx|Socket errors/ || (/^non-200 answers:/ && $3 != 0)' "$out/wrk-$r.txt")
    [ -n "$raw_rate" ] || { cat "$out/wrk-$r.txt" >&2; echo "wrk printed no rate" >&2; exit 1; }

    local status=0
    (cd "$out" && /usr/bin/time -v -o "$out/time-$r.txt" "$conform" run "${flags[@]}" > "$out/run.log" 2>&1) || status=$?
    cpu2=$(cpu_of "$server_pid")
    if [ "$status" != 0 ]; then
      cat "$out/run.log" >&2
      echo "conform run exited $status: not every case passed, so the figures would not measure the work" >&2
      exit 1
    fi
    local report="$out/report/report.json" passed
    total=$(jq '.cases | length' "$report")
    passed=$(jq '[.cases[] | select(.outcome == "passed")] | length' "$report")
    reads=$(jq '[.cases[].checks[] | select(.kind == "readback")] | length' "$report")
    [ "$passed" = "$total" ] || { echo "only $passed of $total cases passed" >&2; exit 1; }
    local t="$out/time-$r.txt"
    echo "$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$t")" \
      "$(awk -F': ' '/User time/ { print $2 }' "$t")" "$(awk -F': ' '/System time/ { print $2 }' "$t")" \
      "$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$t")" "$(jq '.duration_ms' "$report")" \
      "$((total + reads))" "$raw_rate" "$raw_reqs" \
      "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { print b - a }')" "$(awk -v a="$cpu1" -v b="$cpu2" 'BEGIN { print b - a }')" \
      >> "$out/runs.txt"
  done
  stop_server

  # Medians over the runs (the ratios each from one run's pair of rates), the highest peak RSS.
  awk -v n="$n" -v j="$j" -v total="$total" -v reads="$reads" -v runs="$runs" \
      -v raw_secs="$raw_seconds" -v threads="$threads" -v mix="$([ "$readback" = 1 ] && echo "PATCH then GET of each entity" || echo "PATCH of each entity")" '
    function median(a, k,   i, j, t) {
      for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
    }
    {
      k++; wall[k] = $1; cpu[k] = $2 + $3; rss = ($4 > rss ? $4 : rss); run_s[k] = $5 / 1000
      requests = $6; raw_rate[k] = $7; raw_reqs[k] = $8; mock_raw[k] = $9 / $8; mock_run[k] = $10 / total
      ratio[k] = ($6 / $1) / $7; ratio_run[k] = ($6 / run_s[k]) / $7
      list = list (k > 1 ? ", " : "") sprintf("%.2f", ratio[k])
    }
    END {
      w = median(wall, k); c = median(cpu, k); rs = median(run_s, k); rr = median(raw_rate, k)
      printf "== %d PATCH cases on distinct entities, --jobs %d, %d runs (medians) ==\n", n, j, k
      printf "conform run     %d cases (all passed) + %d read-backs = %d requests\n", total, reads, requests
      printf "  wall          %.2f s (process; the run itself %.2f s)\n", w, rs
      printf "  cases/s       %.0f   requests/s %.0f   (run only: %.0f cases/s)\n", total / w, requests / w, total / rs
      printf "  CPU           %.2f s user+sys = %.1f us/case (the mock: %.1f us/case)\n", c, c * 1e6 / total, median(mock_run, k) * 1e6
      printf "  peak RSS      %.1f MiB (%.2f KiB/case), the highest of the runs\n", rss / 1024, rss / total
      printf "wrk (raw)       the same requests (%s) for %d s before each run, %d connections (%d threads)\n", mix, raw_secs, j, threads
      printf "  requests/s    %.0f (the mock: %.1f us CPU/request)\n", rr, median(mock_raw, k) * 1e6
      printf "ratio           conform requests/s / wrk requests/s = %.2f (the run alone, without start-up and reports: %.2f)\n", median(ratio, k), median(ratio_run, k)
      printf "  each run      %s\n", list
      printf "ROW %8d %10.2f %12.1f %12.1f %10.1f %8.2f\n", n, w, w * 1e6 / n, c * 1e6 / n, rss / 1024, median(ratio, k)
    }' "$out/runs.txt" > "$out/summary.txt"
  grep -v '^ROW ' "$out/summary.txt"
  [ -z "$raw_errors" ] || echo "wrk: $raw_errors"
  echo
  rows+=("$(awk '/^ROW / { sub(/^ROW /, ""); print }' "$out/summary.txt")")
}

echo "conform $("$conform" --version 2>/dev/null | awk '{print $2}') replay benchmark on $(nproc) cores ($(uname -sr)); shared machines are noisy: compare runs made together"
echo "read-back: $([ "$readback" = 1 ] && echo "on (each PATCH is read back with a GET: 2 requests per case)" || echo "off (--no-readback: 1 request per case)")"
echo
if [ "$scale" = 1 ]; then
  for n in 1000 10000 100000; do measure "$n" "$jobs"; done
else
  measure "$cases" "$jobs"
fi
echo "   cases     wall s   us/case wall  us/case CPU   peak MiB  ratio"
printf '%s\n' "${rows[@]}"
