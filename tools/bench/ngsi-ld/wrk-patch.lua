-- PATCH /entities/{id}/attrs on random entities of the loaded set; prints a JSON summary.
local entities = tonumber(os.getenv("BENCH_ENTITIES") or "100000")
local token = os.getenv("BENCH_TOKEN")
local prefix = os.getenv("BENCH_PREFIX")

request = function()
  local id = prefix .. math.random(0, entities - 1)
  local body = '{"temperature":{"type":"Property","value":' .. (math.random(0, 4000) / 100) .. '}}'
  return wrk.format("PATCH", "/ngsi-ld/v1/entities/" .. id .. "/attrs",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end

done = function(summary, latency, requests)
  io.write(string.format('WRK {"requests":%d,"seconds":%f,"errors":%d,"non2xx":%d,"p50":%f,"p95":%f,"p99":%f}\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
