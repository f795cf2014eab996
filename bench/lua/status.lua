-- wrk script: counts answers by status, and sends GET /error (or FAULT_PATH) as every Nth request (FAULT_EVERY,
-- 0 = never). Prints one line at the end: STATUS total=... ok=... errors500=... other=... faults_sent=...
local every = tonumber(os.getenv("FAULT_EVERY") or "0")
local path = os.getenv("FAULT_PATH") or "/error"
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  sent, ok, e500, other, faults = 0, 0, 0, 0, 0
end

function request()
  sent = sent + 1
  if every > 0 and sent % every == 0 then
    faults = faults + 1
    return wrk.format("GET", path)
  end
  return wrk.format("GET", "/")
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  elseif status == 500 then
    e500 = e500 + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local t_ok, t_500, t_other, t_faults = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    t_ok = t_ok + thread:get("ok")
    t_500 = t_500 + thread:get("e500")
    t_other = t_other + thread:get("other")
    t_faults = t_faults + thread:get("faults")
  end
  local e = summary.errors
  io.write(string.format("STATUS ok=%d errors500=%d other=%d faults_sent=%d socket_errors=%d connect=%d read=%d "
    .. "write=%d timeout=%d p99_us=%d rps=%.1f\n",
    t_ok, t_500, t_other, t_faults, e.connect + e.read + e.write + e.timeout, e.connect, e.read, e.write, e.timeout,
    latency:percentile(99), summary.requests / (summary.duration / 1e6)))
end
