-- wrk script: PATCH one seeded hostSecurityProfile on the embedded mock with
-- Prefer: return=representation, so every request validates, merges and serializes an entity.
wrk.method = "PATCH"
wrk.path = "/beta/Security/hostSecurityProfiles/753b6489-6489-753b-8964-3b7589643b75"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Prefer"] = "return=representation"
wrk.body = '{"fqdn": "bench.example.com", "tags": ["bench"], "isAzureAdJoined": false}'

-- Each wrk thread has its own Lua state: count non-200 answers per thread, add them up at the end,
-- so a benchmark that measured errors instead of work says so.
local threads = {}
setup = function(thread)
  table.insert(threads, thread)
end

bad = 0
response = function(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  end
end

done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
  end
  io.write(string.format("non-200 answers: %d\n", total))
end
